/**
 * One JSON POST for the webhook channels, over undici with a deadline: a
 * receiver that does not answer within `timeoutMs` is a failed attempt, and a
 * non-2xx answer is a failure carrying its status and the start of its body.
 */
import { Agent, request } from 'undici';
import { DeliveryError, excerpt, scrub } from './channel.js';

/** The most of a receiver's answer read (for the excerpt); the rest is discarded. */
const MAX_ANSWER_BYTES = 4 * 1024;

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

export class JsonPoster {
  private readonly agent: Agent;

  constructor(private readonly timeoutMs: number = DEFAULT_HTTP_TIMEOUT_MS) {
    this.agent = new Agent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connections: 4 });
  }

  async post(url: string, body: unknown, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<void> {
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]);
    let status: number;
    let answer: string;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: deadline,
        dispatcher: this.agent,
      });
      status = response.statusCode;
      answer = await readSome(response.body);
    } catch (error) {
      const reason = deadline.aborted && !signal.aborted ? `no answer within ${this.timeoutMs} ms` : describe(error);
      throw new DeliveryError(scrub(reason, url));
    }
    if (status < 200 || status > 299) throw new DeliveryError(`HTTP ${status}`, status, scrub(excerpt(answer), url));
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

async function readSome(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= MAX_ANSWER_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const code = 'code' in error && typeof error.code === 'string' ? `${error.code} ` : '';
  return `${code}${error.message}${cause}`;
}
