import type { IncomingMessage } from 'node:http';
import { ClientAbortedError, InvalidJsonError, InvalidRequestError, JsonTooDeepError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors/index.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../protocols/json-depth.js';
import type { JsonObject } from '../protocols/json.js';
import { isJsonObject } from '../protocols/json.js';

/**
 * Reads the request body up to `limit` bytes. Rejects early on a declared
 * Content-Length over the limit, and stops reading as soon as a chunked
 * body crosses it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new PayloadTooLargeError(limit));
  return new Promise((resolve, reject) => {
    // Listeners are left in place once settled (they ignore what follows): the request is over
    // either way, and removing four listeners costs more than leaving them.
    let settled = false;
    let first: Buffer | undefined;
    let parts: Buffer[] | undefined;
    let size = 0;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        fail(new PayloadTooLargeError(limit));
        return;
      }
      if (first === undefined) first = chunk;
      else (parts ??= [first]).push(chunk);
    });
    req.once('end', () => {
      if (settled) return;
      settled = true;
      resolve(parts !== undefined ? Buffer.concat(parts, size) : (first ?? Buffer.alloc(0)));
    });
    // The client going away mid-body is its own doing: an expected event, not a gateway failure.
    req.once('error', (error: NodeJS.ErrnoException) => fail(new ClientAbortedError(error.code ?? error.message)));
    req.once('aborted', () => fail(new ClientAbortedError('aborted')));
  });
}

/** JSON media types: `application/json` and `+json` suffixes, or no Content-Type at all (curl -d sends form type, which we also accept as many clients mislabel JSON). */
function isAcceptableContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json') || mediaType === 'application/x-www-form-urlencoded' || mediaType === 'text/plain' || mediaType === '';
}

/** A JSON request body: the object, and the text it was parsed from. */
export interface JsonRequestBody {
  readonly body: JsonObject;
  readonly text: string;
}

export async function readJsonObject(req: IncomingMessage, limit: number): Promise<JsonRequestBody> {
  const contentType = req.headers['content-type'];
  if (!isAcceptableContentType(contentType)) throw new UnsupportedMediaTypeError(contentType ?? '');
  const raw = await readBody(req, limit);
  if (raw.length === 0) throw new InvalidRequestError('The request body is empty. Send a JSON object.', { code: 'invalid_json' });
  let text = raw.toString('utf8');
  // A UTF-8 byte order mark (some Windows tools write one) is no part of the JSON: dropped, so it is not forwarded either.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError(error instanceof Error ? error.message : 'parse error');
  }
  if (!isJsonObject(parsed)) throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new JsonTooDeepError(MAX_JSON_DEPTH);
  return { body: parsed, text };
}
