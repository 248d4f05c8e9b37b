/**
 * Sizes and durations as people write them in YAML ("10mb", "10s", "1m30s")
 * or as plain numbers (bytes, milliseconds).
 */

/** Binary multiples, as in the `bytes` package and most Node servers: 1kb = 1024 bytes. */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/;

/** Bytes from a non-negative integer or a string like "512kb" / "10mb"; undefined when invalid. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE_PATTERN.exec(value.trim().toLowerCase());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const multiplier = SIZE_UNITS[match[2] === '' || match[2] === undefined ? 'b' : match[2]];
  if (multiplier === undefined) return undefined;
  const bytes = Math.round(amount * multiplier);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * Milliseconds from a non-negative number (ms) or a string such as "500ms",
 * "10s", "2m", "1h" or a sequence like "1m30s"; undefined when invalid.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (PLAIN_NUMBER.test(text)) return Math.round(Number(text));
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const match = DURATION_PART.exec(rest);
    if (match === null) return undefined;
    const unit = DURATION_UNITS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
    rest = rest.slice(match[0].length);
  }
  const ms = Math.round(total);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * A Go duration string as Ollama's `keep_alive` accepts it ("5m", "1h30m",
 * "-1m" for forever, "0" to unload at once).
 */
const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

/** Normalises an Ollama keep_alive: a Go duration string, or a number of seconds. */
export function parseKeepAlive(value: unknown): string | undefined {
  // Ollama reads a JSON number as seconds; sending it as "<n>s" keeps one wire type.
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}s` : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return GO_DURATION.test(text) ? text : undefined;
}

/** `10485760` → `10 MiB`, for human-readable summaries. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} B`;
}

/** `90000` → `1m30s`, `500` → `500ms`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  let seconds = ms / 1000;
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
}
