/**
 * Redaction of a provider's own secrets from what its upstream sends back.
 *
 * An upstream may echo the credentials of the request it got (an error that
 * quotes the `Authorization` header, a proxy that prints the URL it was
 * asked for). Every byte an upstream sends passes through the provider's
 * {@link Redactor} at the transport boundary (see dispatch.ts), before a relay,
 * a decoder, a log line or the usage ledger sees it, so no path of the
 * gateway can relay a secret, whatever it does with the bytes.
 *
 * The secret list is computed once per provider at start-up: the API key,
 * the values of configured headers (and of the kind's own credential
 * headers), the user name and password of the base URL, and its query values.
 * Values shorter than {@link MIN_SECRET_LENGTH} are not redacted: replacing
 * every `true` or `v1` in a reply would mangle text, and such short values are
 * not credentials.
 */

/** Shorter configured values are never redacted (see the module comment). */
export const MIN_SECRET_LENGTH = 8;

/** What a secret becomes. */
export const REDACTED = '[redacted]';
const REDACTED_BYTES = Buffer.from(REDACTED);

/** What a provider's secrets are read from: its configuration, after interpolation. */
export interface SecretSources {
  readonly apiKey: string;
  /** Values of every header sent with the provider's credentials: configured ones and the kind's own (`authorization`, …). */
  readonly headerValues: readonly string[];
  readonly baseUrl: string;
}

function urlSecrets(baseUrl: string): string[] {
  if (baseUrl === '') return [];
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const part of [url.username, url.password]) {
    if (part === '') continue;
    found.push(part);
    try {
      found.push(decodeURIComponent(part));
    } catch {
      // A malformed escape: the raw form is enough.
    }
  }
  for (const value of url.searchParams.values()) found.push(value);
  return found;
}

/**
 * The forms a secret can take in an upstream's reply: as it is, escaped in a
 * JSON string (quotes, backslashes, control characters; `/` as `\/`, as some
 * servers write it), and percent-encoded as in a URL.
 */
function spellings(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [secret, json, json.replaceAll('/', '\\/'), encodeURIComponent(secret)];
}

/** Every distinct spelling of every secret long enough to redact, longest first (a secret inside another is then redacted with it). */
export function providerSecrets(sources: SecretSources): string[] {
  const raw = [sources.apiKey, ...urlSecrets(sources.baseUrl)];
  for (const value of sources.headerValues) {
    // `Bearer <token>`, `Basic <credentials>`: the credential is the secret, the scheme stays readable.
    const space = value.indexOf(' ');
    const credential = space > 0 ? value.slice(space + 1).trim() : '';
    raw.push(credential.length >= MIN_SECRET_LENGTH ? credential : value);
  }
  const all = new Set<string>();
  for (const value of raw) {
    if (value.length < MIN_SECRET_LENGTH) continue;
    for (const spelling of spellings(value)) all.add(spelling);
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/**
 * Replaces a provider's secrets with {@link REDACTED}: in text, and in an
 * upstream's byte stream through a {@link SecretScrubber} per exchange.
 */
export class Redactor {
  private readonly patterns: readonly Buffer[];
  private readonly inSecrets = new Uint8Array(256);

  constructor(readonly secrets: readonly string[]) {
    this.patterns = secrets.map((secret) => Buffer.from(secret));
    for (const pattern of this.patterns) for (const byte of pattern) this.inSecrets[byte] = 1;
  }

  static for(sources: SecretSources): Redactor {
    return new Redactor(providerSecrets(sources));
  }

  /** A provider without secrets (a local Ollama, say): its exchanges are not scanned at all. */
  get empty(): boolean {
    return this.patterns.length === 0;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
    return out;
  }

  /** A scrubber for one upstream exchange; undefined when there is nothing to redact. */
  scrubber(): SecretScrubber | undefined {
    return this.empty ? undefined : new SecretScrubber(this.patterns, this.inSecrets);
  }
}

/**
 * Redacts secrets from one exchange's bytes as they arrive. A secret may be
 * split between two reads, so a read that ends with the beginning of a
 * secret keeps those few bytes back until the next read (or the end) shows
 * whether the secret follows. A read ends with such a prefix only by chance
 * (SSE and NDJSON reads end with a newline), so this delays almost nothing;
 * a read without any secret is returned as it is, without a copy.
 */
export class SecretScrubber {
  private held: Buffer | undefined;

  constructor(
    private readonly patterns: readonly Buffer[],
    /** 1 for each byte value found in some secret: a read whose last byte is not one cannot end with part of a secret. */
    private readonly inSecrets: Uint8Array,
  ) {}

  /** The bytes that may be passed on now (possibly empty). */
  push(chunk: Buffer): Buffer {
    let data = this.held === undefined ? chunk : Buffer.concat([this.held, chunk]);
    this.held = undefined;
    for (const pattern of this.patterns) {
      const at = data.indexOf(pattern);
      if (at >= 0) data = replaceFrom(data, pattern, at);
    }
    const keep = this.partialTail(data);
    if (keep === 0) return data;
    this.held = data.subarray(data.length - keep);
    return data.subarray(0, data.length - keep);
  }

  /** The bytes held back at the end of the exchange: they are not the start of a secret after all. */
  end(): Buffer | undefined {
    const rest = this.held;
    this.held = undefined;
    return rest;
  }

  /** The length of the longest end of `data` that is the beginning of a secret (0 almost always). */
  private partialTail(data: Buffer): number {
    const length = data.length;
    // The common case, decided by one byte: SSE and NDJSON reads end with a newline.
    if (length === 0 || this.inSecrets[data[length - 1]!] === 0) return 0;
    let keep = 0;
    for (const pattern of this.patterns) {
      const first = pattern[0]!;
      let at = data.indexOf(first, Math.max(0, length - pattern.length + 1));
      while (at >= 0) {
        // The earliest match is the longest prefix: one is enough.
        if (data.compare(pattern, 0, length - at, at, length) === 0) {
          if (length - at > keep) keep = length - at;
          break;
        }
        at = data.indexOf(first, at + 1);
      }
    }
    return keep;
  }
}

/** `data` with every occurrence of `pattern` (the first at `first`) replaced. Only runs when a secret is there. */
function replaceFrom(data: Buffer, pattern: Buffer, first: number): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  let at = first;
  while (at >= 0) {
    parts.push(data.subarray(from, at), REDACTED_BYTES);
    from = at + pattern.length;
    at = data.indexOf(pattern, from);
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}
