import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseDuration, parseKeepAlive, parseSize } from '../../src/config/units.js';

describe('parseSize', () => {
  it.each([
    [1024, 1024],
    [0, 0],
    ['2048', 2048],
    ['512kb', 512 * 1024],
    ['10mb', 10 * 1024 * 1024],
    ['10MB', 10 * 1024 * 1024],
    ['1.5 KiB', 1536],
    ['1gb', 1024 ** 3],
    ['7b', 7],
  ])('%j → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([[-1], [1.5], ['10 megs'], ['mb'], [''], [null], [true], [[1]]])('rejects %j', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it.each([
    [500, 500],
    [0, 0],
    ['250', 250],
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [' 10S ', 10_000],
  ])('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([[-5], ['-5s'], ['10 s'], ['5d'], ['soon'], ['1m30'], [''], [Number.POSITIVE_INFINITY], [null], [{}]])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('parseKeepAlive', () => {
  it.each([
    ['5m', '5m'],
    ['1h30m', '1h30m'],
    ['-1m', '-1m'],
    ['0', '0'],
    [300, '300s'],
    [-1, '-1s'],
  ])('%j → %j', (input, expected) => {
    expect(parseKeepAlive(input)).toBe(expected);
  });

  it.each([['forever'], ['5 minutes'], ['-1'], [true]])('rejects %j', (input) => {
    expect(parseKeepAlive(input)).toBeUndefined();
  });
});

describe('formatting', () => {
  it('formats bytes and durations for summaries', () => {
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MiB');
    expect(formatBytes(1536)).toBe('1536 B');
    expect(formatBytes(2048)).toBe('2 KiB');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000)).toBe('1h');
  });
});
