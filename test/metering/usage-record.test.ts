import { describe, expect, it } from 'vitest';
import { buildUsageRecord, usageStatus, type UsageRecordInput } from '../../src/metering/usage-record.js';

const base: UsageRecordInput = {
  requestId: 'req_1',
  tenant: 'acme',
  keyId: 'key_7',
  routeModel: 'gpt-oss:20b',
  deployment: { provider: 'local', upstreamModel: 'gpt-oss:20b' },
  startedAt: Date.UTC(2025, 2, 1, 23, 59, 59, 500),
  durationMs: 1_234.6,
  timeToFirstByteMs: 210.4,
  status: 'ok',
  httpStatus: 200,
  usage: { promptTokens: 1200, completionTokens: 300, totalTokens: 1500, cachedPromptTokens: 1000, reasoningTokens: 120 },
  estimated: false,
  costUsd: 0.0012,
};

describe('buildUsageRecord', () => {
  it('books the call when it finished, with its tokens, cost and timings', () => {
    expect(buildUsageRecord(base)).toEqual({
      time: Date.UTC(2025, 2, 2, 0, 0, 0, 735),
      requestId: 'req_1',
      tenant: 'acme',
      keyId: 'key_7',
      routeModel: 'gpt-oss:20b',
      requestedModel: 'gpt-oss:20b',
      provider: 'local',
      upstreamModel: 'gpt-oss:20b',
      promptTokens: 1200,
      completionTokens: 300,
      cachedTokens: 1000,
      reasoningTokens: 120,
      costUsd: 0.0012,
      estimated: false,
      status: 'ok',
      httpStatus: 200,
      latencyMs: 1235,
      ttftMs: 210,
    });
  });

  it('records calls that reached no deployment, had no usage or no price', () => {
    const record = buildUsageRecord({ ...base, keyId: undefined, deployment: undefined, usage: undefined, costUsd: undefined, timeToFirstByteMs: undefined, status: 'error', httpStatus: 503 });
    expect(record).toMatchObject({ keyId: null, provider: null, upstreamModel: null, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costUsd: 0, ttftMs: null, status: 'error' });
  });

  it('never writes NaN or negative amounts', () => {
    const record = buildUsageRecord({ ...base, costUsd: Number.NaN, usage: { promptTokens: -3, completionTokens: Number.POSITIVE_INFINITY, totalTokens: 0 }, timeToFirstByteMs: Number.NaN });
    expect(record).toMatchObject({ costUsd: 0, promptTokens: 0, completionTokens: 0, ttftMs: null });
  });
});

describe('usageStatus', () => {
  it('maps pipeline outcomes to the metric statuses', () => {
    expect(usageStatus('ok', 200)).toBe('ok');
    expect(usageStatus('client_closed', 499)).toBe('cancelled');
    expect(usageStatus('error', 400)).toBe('client_error');
    expect(usageStatus('error', 429)).toBe('error');
    expect(usageStatus('error', 502)).toBe('error');
    expect(usageStatus('cancelled', 200)).toBe('cancelled');
  });
});
