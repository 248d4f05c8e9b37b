import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject } from '../../protocols/json.js';
import type { Hole } from '../shared/line-template.js';
import { LineTemplate, uniqueStringValue } from '../shared/line-template.js';

/*
 * The line template (see shared/line-template.ts) of a Chat stream's text
 * chunks: the `content` string is the hole that is read. OpenAI appends an
 * `obfuscation` field of random length to every chunk (padding against side
 * channels, which no client reads): its value is a hole that is ignored.
 */
/**
 * The content of a parsed chunk whose only effect on the decoder is that
 * text: no error, no usage object, one choice (index 0) with no finish
 * reason, and a delta whose other fields are `role` or null.
 */
function plainContent(chunk: JsonObject): string | undefined {
  const error = chunk['error'];
  if ((error !== undefined && error !== null) || isJsonObject(chunk['usage'])) return undefined;
  const choices = chunk['choices'];
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice = choices[0];
  if (!isJsonObject(choice) || (choice['index'] ?? 0) !== 0) return undefined;
  const finish = choice['finish_reason'];
  if (finish !== undefined && finish !== null) return undefined;
  const delta = choice['delta'];
  if (!isJsonObject(delta)) return undefined;
  const content = delta['content'];
  if (typeof content !== 'string') return undefined;
  for (const key of Object.keys(delta)) if (key !== 'content' && key !== 'role' && delta[key] !== null) return undefined;
  return content;
}

/** A template from a chunk that was parsed whole; undefined unless it carries nothing but text and its text allows one. */
export function learnContentTemplate(data: string, chunk: JsonObject): LineTemplate | undefined {
  const content = plainContent(chunk);
  if (content === undefined) return undefined;
  // `"content":` must occur once (OpenAI's logprobs object has a `content` key too).
  const open = uniqueStringValue(data, 'content');
  if (open < 0) return undefined;
  const holes: Hole[] = [{ open, keep: true }];
  const padding = uniqueStringValue(data, 'obfuscation');
  if (padding >= 0) holes.push({ open: padding, keep: false });
  return LineTemplate.learn(data, holes, content);
}
