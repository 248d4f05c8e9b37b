import { describe, expect, it } from 'vitest';
import { LineBatcher } from '../../src/telemetry/logger.js';

describe('LineBatcher: log lines joined into few writes', () => {
  it('writes once the batch is full, in order, and everything left on flush', () => {
    const writes: string[] = [];
    const batcher = new LineBatcher({ write: (text: string) => writes.push(text) > 0 }, 10);
    batcher.write('aaaa\n');
    expect(writes).toEqual([]);
    batcher.write('bbbbbb\n');
    expect(writes).toEqual(['aaaa\nbbbbbb\n']);
    batcher.write('c\n');
    let flushed = false;
    batcher.flush(() => (flushed = true));
    expect(flushed).toBe(true);
    expect(writes).toEqual(['aaaa\nbbbbbb\n', 'c\n']);
    batcher.flush();
    expect(writes).toHaveLength(2);
  });
});
