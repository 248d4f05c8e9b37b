import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ResponsesStreamValidator, validateResponsesSse } from '../../../src/translators/openai-responses/index.js';
import type { ResponsesEvent } from './helpers.js';
import {
  GOLDEN_CASES,
  RESPONSES_FIXTURES,
  decodeReads,
  encodeToText,
  mulberry32,
  parseEvents,
  randomSplit,
  readBytes,
  readJson,
  setupFor,
} from './helpers.js';

// UPDATE_GOLDEN=1 rewrites the expected files from the encoder: review the diff before keeping it.
const update = process.env.UPDATE_GOLDEN === '1';

function expectedEvents(name: string, actual: ResponsesEvent[]): ResponsesEvent[] {
  const url = new URL(`${name}.events.json`, RESPONSES_FIXTURES);
  if (update) writeFileSync(url, `${JSON.stringify(actual, null, 2)}\n`);
  return readJson(url) as ResponsesEvent[];
}

describe.each(GOLDEN_CASES)('golden $name ($what)', (c) => {
  const bytes = readBytes(c.file);
  const setup = setupFor(c);
  const text = encodeToText(decodeReads(c.upstream, [bytes]), setup);
  const events = parseEvents(text);
  const expected = expectedEvents(c.name, events);

  it('encodes to the expected events, in order', () => {
    expect(events).toEqual(expected);
  });

  it('passes the stream validator', () => {
    expect(validateResponsesSse(text)).toEqual([]);
    const validator = new ResponsesStreamValidator();
    for (const event of events) validator.push(event);
    validator.end();
    expect(validator.violations).toEqual([]);
  });

  it('gives identical events when the upstream bytes are split at 50 seeded random offsets', () => {
    const random = mulberry32(0x7e5 + c.name.length * 31);
    for (let trial = 0; trial < 50; trial++) {
      const pieces = randomSplit(bytes, random);
      const replay = parseEvents(encodeToText(decodeReads(c.upstream, pieces), setup));
      expect(replay, `trial ${trial}: ${pieces.map((p) => p.length).join('+')}`).toEqual(expected);
    }
  });

  it('numbers the events 0, 1, 2, … and ends with exactly one terminal event', () => {
    expect(events.map((e) => e['sequence_number'])).toEqual(events.map((_, i) => i));
    const terminal = events.filter((e) => e.type === 'response.completed' || e.type === 'response.incomplete' || e.type === 'response.failed');
    expect(terminal).toHaveLength(1);
    expect(events[events.length - 1]).toBe(terminal[0]);
    expect(events[0]?.type).toBe('response.created');
    expect(events[1]?.type).toBe('response.in_progress');
  });
});
