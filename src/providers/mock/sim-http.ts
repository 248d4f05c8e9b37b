/** HTTP plumbing of the simulated model: reading JSON bodies and sending JSON replies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject } from '../../protocols/json.js';
import { invalidRequest, type OpenAIErrorObject } from './sim-errors.js';

/** Request bodies above this are refused (Codex requests are ~40 KB). */
const BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export type BodyResult = { ok: true; body: JsonObject } | { ok: false; status: number; error: OpenAIErrorObject };

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Readonly<Record<string, string>>): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: OpenAIErrorObject,
  headers?: Readonly<Record<string, string>>,
): void {
  sendJson(res, status, JSON.stringify({ error }), headers);
}

export async function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        return { ok: false, status: 413, error: invalidRequest(`Request body larger than ${BODY_LIMIT_BYTES} bytes.`) };
      }
      chunks.push(chunk);
    }
  } catch {
    // The client went away while sending; the close handler has counted it.
    return { ok: false, status: 400, error: invalidRequest('Request body incomplete.') };
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
  } catch {
    const message =
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
    return { ok: false, status: 400, error: invalidRequest(message) };
  }
  if (!isJsonObject(body)) return { ok: false, status: 400, error: invalidRequest('The request body must be a JSON object.') };
  return { ok: true, body };
}
