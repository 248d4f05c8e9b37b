import { describe, expect, it } from 'vitest';
import { SseEventTooLargeError, SseParser, sseComment, sseData } from '../../src/framing/index.js';
import type { SseEvent } from '../../src/framing/index.js';

const enc = new TextEncoder();

function parseAll(...reads: (string | Uint8Array)[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (const read of reads) events.push(...parser.push(read));
  events.push(...parser.end());
  return events;
}

function ev(data: string, event?: string, id?: string): SseEvent {
  return { event, data, id };
}

describe('SseParser: fields and dispatch', () => {
  it('dispatches an event on a blank line', () => {
    expect(parseAll('data: hello\n\n')).toEqual([ev('hello')]);
  });

  it('joins several data lines with LF', () => {
    expect(parseAll('data: a\ndata: b\ndata:\ndata: c\n\n')).toEqual([ev('a\nb\n\nc')]);
  });

  it('strips exactly one space after the colon', () => {
    expect(parseAll('data:x\n\ndata: x\n\ndata:  x\n\n')).toEqual([ev('x'), ev('x'), ev(' x')]);
  });

  it('keeps colons inside the value', () => {
    expect(parseAll('data: {"a":"b:c"}\n\n')).toEqual([ev('{"a":"b:c"}')]);
  });

  it('accepts CR, LF and CRLF line endings, mixed', () => {
    expect(parseAll('data: a\r\rdata: b\n\ndata: c\r\n\r\ndata: d\r\ndata: e\n\r')).toEqual([
      ev('a'),
      ev('b'),
      ev('c'),
      ev('d\ne'),
    ]);
  });

  it('treats CR at the end of one read and LF at the start of the next as one line break', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    // Were the LF a second line break, "a" would be dispatched alone here.
    expect(parser.push('\ndata: b\r')).toEqual([]);
    expect(parser.push('\n\r')).toEqual([ev('a\nb')]);
    expect(parser.push('\n')).toEqual([]);
    expect(parser.push('data: c\n\n')).toEqual([ev('c')]);
  });

  it('treats CR at the end of one read and CR at the start of the next as two line breaks', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    expect(parser.push('\r')).toEqual([ev('a')]);
  });

  it('ignores comment lines', () => {
    expect(parseAll(': keep-alive\n\n:\n\ndata: x\n: inside\ndata: y\n\n')).toEqual([ev('x\ny')]);
  });

  it('reads the event field and resets it after each event', () => {
    expect(parseAll('event: delta\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n')).toEqual([ev('1', 'delta'), ev('2'), ev('3')]);
  });

  it('keeps the last event id across events, as the standard does', () => {
    expect(parseAll('id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n')).toEqual([ev('a', undefined, '7'), ev('b', undefined, '7'), ev('c', undefined, '')]);
  });

  it('ignores an id containing NULL', () => {
    expect(parseAll('id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n')).toEqual([ev('a', undefined, '1'), ev('b', undefined, '1')]);
  });

  it('sets the event id even when the event itself is not dispatched', () => {
    expect(parseAll('id: 9\n\ndata: a\n\n')).toEqual([ev('a', undefined, '9')]);
  });

  it('reads retry only when it is all ASCII digits', () => {
    const parser = new SseParser();
    parser.push('retry: 1500\n\n');
    expect(parser.retry).toBe(1500);
    parser.push('retry: 2s\n\nretry:\n\nretry: -1\n\n');
    expect(parser.retry).toBe(1500);
  });

  it('does not dispatch an event without data lines', () => {
    expect(parseAll('event: ping\n\nid: 1\n\n\n\n')).toEqual([]);
  });

  it('dispatches an event whose only data line is empty', () => {
    expect(parseAll('data:\n\ndata\n\n')).toEqual([ev(''), ev('')]);
  });

  it('ignores unknown fields, longer field names and other cases', () => {
    expect(parseAll('datax: 1\nData: 2\nfoo: 3\nevents: x\nidx: 4\nretryx: 5\ndata: ok\n\n')).toEqual([ev('ok')]);
  });

  it('discards an event not terminated by a blank line at EOF', () => {
    const parser = new SseParser();
    expect(parser.push('data: complete\n\ndata: partial\n')).toEqual([ev('complete')]);
    expect(parser.end()).toEqual([]);
    expect(parseAll('data: no newline at all')).toEqual([]);
  });

  it('parses many events in one read', () => {
    const text = Array.from({ length: 500 }, (_, i) => `data: {"n":${i}}\n\n`).join('');
    const events = parseAll(text);
    expect(events).toHaveLength(500);
    expect(events[499]).toEqual(ev('{"n":499}'));
  });
});

describe('SseParser: UTF-8', () => {
  it('ignores a leading BOM, also when it is split across reads', () => {
    expect(parseAll('\uFEFFdata: a\n\n')).toEqual([ev('a')]);
    expect(parseAll(new Uint8Array([0xef]), new Uint8Array([0xbb]), new Uint8Array([0xbf, 0x64]), 'ata: b\n\n')).toEqual([ev('b')]);
  });

  it('strips only one BOM, only at the start', () => {
    // The second BOM belongs to the field name, which then is not "data".
    expect(parseAll('\uFEFF\uFEFFdata: a\n\ndata: b\n\n')).toEqual([ev('b')]);
    expect(parseAll('data: a\n\n\uFEFFdata: b\n\n')).toEqual([ev('a')]);
    expect(parseAll('data: \uFEFFx\n\n')).toEqual([ev('\uFEFFx')]);
  });

  it('treats bytes that only begin like a BOM as part of the first line', () => {
    expect(parseAll(new Uint8Array([0xef, 0xbb]), 'data: a\n\ndata: b\n\n')).toEqual([ev('b')]);
    expect(parseAll(new Uint8Array([0xef, 0xbb, 0x0a]), 'data: a\n\n')).toEqual([ev('a')]);
  });

  it('decodes a multi-byte character split across reads', () => {
    const bytes = enc.encode('data: h\u00e9llo \u{1F600} \u4e16\u754c\n\n');
    for (let i = 1; i < bytes.length; i++) {
      expect(parseAll(bytes.subarray(0, i), bytes.subarray(i))).toEqual([ev('h\u00e9llo \u{1F600} \u4e16\u754c')]);
    }
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    expect(parseAll(new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xff, 0x41, 0x0a, 0x0a]))).toEqual([ev('\uFFFDA')]);
  });

  it('does not keep a reference to the caller buffer', () => {
    const parser = new SseParser();
    const read = new Uint8Array(enc.encode('data: abc'));
    parser.push(read);
    read.fill(0x78);
    expect(parser.push('\n\n')).toEqual([ev('abc')]);
  });
});

describe('SseParser: maximum event size', () => {
  it('accepts an event exactly at the limit', () => {
    // Counted as the data bytes plus one per data line.
    const parser = new SseParser({ maxEventBytes: 6 });
    expect(parser.push('data: 12345\n\n')).toEqual([ev('12345')]);
  });

  it('throws SseEventTooLargeError with the events completed before it', () => {
    const parser = new SseParser({ maxEventBytes: 16 });
    let caught: unknown;
    try {
      parser.push('data: ok\n\ndata: 0123456789\ndata: 0123456789\n\n');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SseEventTooLargeError);
    expect(caught).toBeInstanceOf(Error);
    const error = caught as SseEventTooLargeError;
    expect(error.maxEventBytes).toBe(16);
    expect(error.events).toEqual([ev('ok')]);
    expect(() => parser.push('data: x\n\n')).toThrow(/cannot be used/);
  });

  it('bounds an unterminated line growing across reads', () => {
    const parser = new SseParser({ maxEventBytes: 1024 });
    const piece = 'x'.repeat(300);
    parser.push('data: ');
    parser.push(piece);
    parser.push(piece);
    parser.push(piece);
    expect(() => parser.push(piece)).toThrow(SseEventTooLargeError);
  });

  it('defaults to 16 MiB', () => {
    const parser = new SseParser();
    const big = 'y'.repeat(8 * 1024 * 1024);
    expect(parser.push(`data: ${big}\n\n`)[0]?.data.length).toBe(big.length);
    expect(() => parser.push(`data: ${big}\ndata: ${big}\ndata: y\n\n`)).toThrow(SseEventTooLargeError);
  });

  it('rejects a nonsensical limit', () => {
    expect(() => new SseParser({ maxEventBytes: 0 })).toThrow(RangeError);
  });
});

describe('SseParser: split reads', () => {
  // A realistic stream: BOM, comments, ids, named events, CRLF and CR endings,
  // multi-line data, multi-byte characters, an empty-data event, a trailing partial event.
  const stream = enc.encode(
    '\uFEFF: connected\n\n' +
      'retry: 3000\n' +
      'id: 1\ndata: {"choices":[{"delta":{"content":"Hello"}}]}\n\n' +
      'event: delta\r\ndata: {"text":"caf\u00e9 \u{1F680}"}\r\n\r\n' +
      'data: line one\rdata: line two\r\r' +
      ': ping\n' +
      'id: 2\ndata:\n\n' +
      'event: error\ndata: {"error":{"message":"\u4e0a\u6e38"}}\n\n' +
      'data: [DONE]\n\n' +
      'data: never dispatched',
  );
  const expected: SseEvent[] = [
    ev('{"choices":[{"delta":{"content":"Hello"}}]}', undefined, '1'),
    ev('{"text":"caf\u00e9 \u{1F680}"}', 'delta', '1'),
    ev('line one\nline two', undefined, '1'),
    ev('', undefined, '2'),
    ev('{"error":{"message":"\u4e0a\u6e38"}}', 'error', '2'),
    ev('[DONE]', undefined, '2'),
  ];

  it('parses the whole stream', () => {
    expect(parseAll(stream)).toEqual(expected);
  });

  it('gives the same events when split in two at every byte offset', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(parseAll(stream.subarray(0, i), stream.subarray(i)), `split at ${i}`).toEqual(expected);
    }
  });

  it('gives the same events when fed one byte at a time', () => {
    const reads: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) reads.push(stream.subarray(i, i + 1));
    expect(parseAll(...reads)).toEqual(expected);
  });
});

describe('sseData and sseComment', () => {
  it('writes one data line for single-line data', () => {
    expect(sseData('{"a":1}')).toBe('data: {"a":1}\n\n');
    expect(sseData('x', 'response.created')).toBe('event: response.created\ndata: x\n\n');
  });

  it('writes one data line per line of multi-line data', () => {
    expect(sseData('a\nb\r\nc\rd', 'e')).toBe('event: e\ndata: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('round-trips through the parser', () => {
    const samples = ['', ' leading space', 'a\nb', '\n', 'x\n\ny', 'caf\u00e9 \u{1F680}', ': not a comment'];
    const text = samples.map((s, i) => sseData(s, `n${i}`)).join('');
    expect(parseAll(text)).toEqual(samples.map((s, i) => ev(s, `n${i}`)));
  });

  it('refuses a line break in an event name or a comment', () => {
    expect(() => sseData('x', 'a\nb')).toThrow(TypeError);
    expect(() => sseComment('a\rb')).toThrow(TypeError);
  });

  it('writes a comment the parser ignores', () => {
    expect(sseComment('keep-alive')).toBe(': keep-alive\n\n');
    expect(parseAll(sseComment('keep-alive') + sseData('x'))).toEqual([ev('x')]);
  });
});

describe('SseParser.pushFirst: peeking at a stream opening', () => {
  it('returns the first event and frames nothing after it, however the opening is split', () => {
    const text = ': hello\r\n\r\nevent: one\r\ndata: a\r\n\r\ndata: b\n\ndata: c\n\n';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new SseParser();
      const first = parser.pushFirst(bytes.subarray(0, cut)) ?? parser.pushFirst(bytes.subarray(cut));
      expect(first).toEqual({ event: 'one', data: 'a', id: undefined });
    }
  });

  it('returns undefined until the first event is whole', () => {
    const parser = new SseParser();
    expect(parser.pushFirst('data: {"partial":')).toBeUndefined();
    expect(parser.pushFirst('true}\n')).toBeUndefined();
    expect(parser.pushFirst('\ndata: next\n\n')?.data).toBe('{"partial":true}');
  });
});
