import { describe, expect, it } from 'vitest';
import { axisLabels, formatCount, formatDuration, formatPercent, formatTokens, formatUsd } from '../src/lib/format.js';

describe('formatUsd', () => {
  it('gives cents from a dollar up, with thousands separators, and two significant digits below', () => {
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(1234.5)).toBe('$1,234.50');
    expect(formatUsd(1)).toBe('$1.00');
    expect(formatUsd(0.42)).toBe('$0.42');
    expect(formatUsd(0.1)).toBe('$0.10');
    expect(formatUsd(0.0125)).toBe('$0.013');
    expect(formatUsd(0.05)).toBe('$0.05');
  });
  it('keeps two significant digits below a cent, so per-call costs stay readable', () => {
    expect(formatUsd(0.0042)).toBe('$0.0042');
    expect(formatUsd(0.004219)).toBe('$0.0042');
    expect(formatUsd(0.000483)).toBe('$0.00048');
    expect(formatUsd(0.000012)).toBe('$0.000012');
    expect(formatUsd(0.005)).toBe('$0.005');
  });
  it('writes zero, negatives and non-numbers plainly', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(-2.5)).toBe('-$2.50');
    expect(formatUsd(Number.NaN)).toBe('—');
  });
});

describe('formatTokens and formatCount', () => {
  it('separates thousands below ten thousand and abbreviates above', () => {
    expect(formatTokens(950)).toBe('950');
    expect(formatTokens(9_999)).toBe('9,999');
    expect(formatTokens(12_345)).toBe('12.3k');
    expect(formatTokens(123_456)).toBe('123k');
    expect(formatTokens(4_500_000)).toBe('4.5M');
    expect(formatTokens(2_000_000)).toBe('2M');
    expect(formatTokens(250_000_000)).toBe('250M');
    expect(formatTokens(1_200_000_000)).toBe('1.2B');
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });
});

describe('formatDuration', () => {
  it('uses ms below a second, then seconds, then minutes', () => {
    expect(formatDuration(840)).toBe('840 ms');
    expect(formatDuration(0.4)).toBe('0 ms');
    expect(formatDuration(1840)).toBe('1.84 s');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
  });
  it('shows a dash when there were no calls to measure', () => {
    expect(formatDuration(null)).toBe('—');
  });
});

describe('formatPercent', () => {
  it('rounds to what a reader needs', () => {
    expect(formatPercent(0.125)).toBe('13%');
    expect(formatPercent(0.0345)).toBe('3.5%');
    expect(formatPercent(0.03)).toBe('3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(1.374)).toBe('137%');
    expect(formatPercent(0.0004)).toBe('<0.1%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('axisLabels', () => {
  it('gives money ticks enough decimals to tell them apart', () => {
    expect(axisLabels([0.05, 0.055, 0.06], 'usd')).toEqual(['$0.050', '$0.055', '$0.060']);
    expect(axisLabels([0, 5, 10], 'usd')).toEqual(['$0.00', '$5.00', '$10.00']);
  });
  it('switches latency ticks to seconds from a second up', () => {
    expect(axisLabels([0, 250, 500], 'ms')).toEqual(['0 ms', '250 ms', '500 ms']);
    expect(axisLabels([1000, 1500, 2000], 'ms')).toEqual(['1.0 s', '1.5 s', '2.0 s']);
    expect(axisLabels([0, 5000, 10_000], 'ms')).toEqual(['0 s', '5 s', '10 s']);
  });
  it('abbreviates token ticks and separates count ticks', () => {
    expect(axisLabels([5000, 10_000, 15_000], 'tokens')).toEqual(['5,000', '10k', '15k']);
    expect(axisLabels([0, 1500], 'count')).toEqual(['0', '1,500']);
  });
});
