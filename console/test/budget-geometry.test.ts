import { describe, expect, it } from 'vitest';
import { budgetGeometry } from '../src/lib/budget-geometry.js';

describe('budgetGeometry', () => {
  it('places spent, then reserved after it, as shares of the limit', () => {
    const g = budgetGeometry({ limit_usd: 200, spent_usd: 50, reserved_usd: 20, soft: [] });
    expect(g.spentPct).toBe(25);
    expect(g.reservedPct).toBe(10);
    expect(g.usedRatio).toBeCloseTo(0.35);
    expect(g.overLimit).toBe(false);
    expect(g.level).toBe('ok');
  });

  it('marks soft thresholds in order and names the highest one passed', () => {
    const g = budgetGeometry({ limit_usd: 100, spent_usd: 85, reserved_usd: 0, soft: [0.8, 0.5] });
    expect(g.softMarks).toEqual([50, 80]);
    expect(g.passedSoft).toBe(0.8);
    expect(g.level).toBe('warn');
  });

  it('counts reserved money towards a soft threshold', () => {
    expect(budgetGeometry({ limit_usd: 100, spent_usd: 40, reserved_usd: 15, soft: [0.5] }).passedSoft).toBe(0.5);
  });

  it('fills the bar and says so when spending went past the limit', () => {
    const g = budgetGeometry({ limit_usd: 10, spent_usd: 12.5, reserved_usd: 1, soft: [0.5, 0.9] });
    expect(g.spentPct).toBe(100);
    expect(g.reservedPct).toBe(0);
    expect(g.usedRatio).toBeCloseTo(1.35);
    expect(g.overLimit).toBe(true);
    expect(g.level).toBe('over');
  });

  it('never draws reserved past the end of the bar', () => {
    const g = budgetGeometry({ limit_usd: 10, spent_usd: 8, reserved_usd: 5, soft: [] });
    expect(g.spentPct).toBe(80);
    expect(g.reservedPct).toBe(20);
    expect(g.overLimit).toBe(true);
  });

  it('treats a budget used up exactly as at its limit', () => {
    const g = budgetGeometry({ limit_usd: 5, spent_usd: 5, reserved_usd: 0, soft: [] });
    expect(g.overLimit).toBe(false);
    expect(g.level).toBe('over');
    expect(g.spentPct).toBe(100);
  });
});
