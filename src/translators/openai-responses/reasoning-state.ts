/**
 * Reasoning the gateway handed to a client in `encrypted_content`, so that it
 * comes back on the client's next request. Responses clients that keep no
 * server state (Codex sends `store: false` and
 * `include: ["reasoning.encrypted_content"]`) echo reasoning items verbatim;
 * a Chat or Ollama upstream such as gpt-oss needs its earlier reasoning back
 * during a tool loop. The text is not secret (the same item carries it as
 * `content`), so it is encoded, not encrypted; the prefix tells the gateway's
 * own values from OpenAI's, which only OpenAI can read.
 */
const PREFIX = 'tollgate.v1.';

export function mintReasoningState(text: string): string {
  return PREFIX + Buffer.from(JSON.stringify({ text }), 'utf8').toString('base64url');
}

/** The reasoning text of a value minted by `mintReasoningState`, or undefined for anything else. */
export function readReasoningState(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith(PREFIX)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const text = (parsed as { text?: unknown }).text;
  return typeof text === 'string' ? text : undefined;
}
