/**
 * E-mail over SMTP with nodemailer: `smtp://user:pass@host:587` (STARTTLS
 * when the server offers it) or `smtps://…:465` (TLS from the start). One
 * message per notification to every recipient; the subject is the
 * notification's, the body its plain text. The Message-ID is derived from
 * the notification's id, so a mail system that sees the same notification
 * twice can tell.
 *
 * nodemailer is loaded on the first send (about 80 ms of module loading):
 * a gateway without e-mail, and every start-up, do not pay for it.
 */
import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Notification } from '../contracts.js';
import { DeliveryError, excerpt, hostOf, scrub, type Channel } from './channel.js';

export interface EmailSettings {
  readonly smtpUrl: string;
  readonly from: string;
  readonly to: readonly string[];
}

export const DEFAULT_SMTP_TIMEOUT_MS = 15_000;

/** The transport's options from the URL: credentials decoded, TLS from the scheme. */
export function smtpOptions(smtpUrl: string, timeoutMs: number): SMTPTransport.Options {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  return {
    host: url.hostname,
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(user === '' ? {} : { auth: { user, pass: decodeURIComponent(url.password) } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Never log the conversation: it holds the credentials.
    logger: false,
    debug: false,
  };
}

function messageId(notification: Notification, from: string): string {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return `<${createHash('sha256').update(notification.id).digest('hex').slice(0, 32)}.tollgate@${domain}>`;
}

interface SmtpFailure {
  readonly responseCode?: number;
  readonly response?: string;
  readonly code?: string;
  readonly message: string;
}

/** nodemailer's errors carry the server's reply code and text as extra fields. */
function smtpFailure(error: unknown): SmtpFailure {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = error as Error & { responseCode?: unknown; response?: unknown; code?: unknown };
  return {
    message: error.message,
    ...(typeof fields.responseCode === 'number' ? { responseCode: fields.responseCode } : {}),
    ...(typeof fields.response === 'string' ? { response: fields.response } : {}),
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
  };
}

export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  readonly target: string;
  private transporter: Promise<Transporter<SMTPTransport.SentMessageInfo>> | undefined;

  constructor(
    private readonly settings: EmailSettings,
    private readonly timeoutMs: number = DEFAULT_SMTP_TIMEOUT_MS,
  ) {
    this.target = hostOf(settings.smtpUrl);
  }

  private transport(): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
    this.transporter ??= import('nodemailer').then((nodemailer) => nodemailer.default.createTransport(smtpOptions(this.settings.smtpUrl, this.timeoutMs)));
    return this.transporter;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const transporter = await this.transport();
    try {
      await transporter.sendMail({
        from: this.settings.from,
        to: [...this.settings.to],
        subject: notification.subject,
        text: notification.text,
        messageId: messageId(notification, this.settings.from),
        headers: { 'X-Tollgate-Notification-Id': notification.id, 'X-Tollgate-Kind': notification.kind },
      });
    } catch (error) {
      const failure = smtpFailure(error);
      const code = failure.responseCode;
      const answer = failure.response === undefined ? undefined : scrub(excerpt(failure.response), this.settings.smtpUrl);
      const reason = code === undefined ? `${failure.code === undefined ? '' : `${failure.code} `}${failure.message}` : `SMTP ${code}`;
      throw new DeliveryError(scrub(reason, this.settings.smtpUrl), code, answer);
    }
  }

  async close(): Promise<void> {
    (await this.transporter)?.close();
  }
}
