import type { IncomingMessage } from 'node:http';
import { InvalidJsonError, InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors/index.js';
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
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      parts.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAbort);
    };
    const onAbort = (): void => onError(new Error('client aborted the request body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAbort);
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
  const text = raw.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidJsonError(error instanceof Error ? error.message : 'parse error');
  }
  if (!isJsonObject(parsed)) throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_json' });
  return { body: parsed, text };
}
