import { describe, expect, it } from 'vitest';
import type { BudgetWire } from '../src/api/types.js';
import { expiresAtOf, limitsFieldsOf, limitsPatch, newKeyBody, newTenantBody, parseSoft } from '../src/lib/forms.js';

const berlinMonth: BudgetWire = { period: 'month', limit_usd: 500, soft: [0.5, 0.8], timezone: 'Europe/Berlin', reset_at: '06:00' };

describe('new tenant and key bodies', () => {
  it('send only the fields filled in', () => {
    expect(newTenantBody({ name: ' team-b ', models: '', rpm: '', tpm: '2,000,000' })).toEqual({ name: 'team-b', tpm: 2_000_000 });
    expect(newTenantBody({ name: 'team-c', models: 'gpt-5*, ,gpt-oss:*', rpm: '120', tpm: '' })).toEqual({ name: 'team-c', models: ['gpt-5*', 'gpt-oss:*'], rpm: 120 });
    expect(newKeyBody('team-a', { name: '', models: '', rpm: '', tpm: '', expires: '' })).toEqual({ tenant: 'team-a' });
  });
  it('refuse what the API would refuse, naming the field', () => {
    expect(() => newTenantBody({ name: '', models: '', rpm: '', tpm: '' })).toThrow('Name: required.');
    expect(() => newKeyBody('team-a', { name: '', models: '', rpm: '0', tpm: '', expires: '' })).toThrow(/^RPM: /);
    expect(() => newKeyBody('team-a', { name: '', models: '', rpm: '', tpm: '1.5', expires: '' })).toThrow(/^TPM: /);
  });
  it('turn an expiry day into Unix seconds at the start of that local day', () => {
    expect(expiresAtOf('2027-01-31')).toBe(new Date(2027, 0, 31).getTime() / 1000);
    expect(expiresAtOf('')).toBeUndefined();
  });
});

describe('limitsPatch', () => {
  it('shows the current limits and budgets as fields', () => {
    expect(limitsFieldsOf({ rpm: 60, tpm: null, budgets: [berlinMonth] })).toEqual({ rpm: '60', tpm: '', dailyUsd: '', dailySoft: '', monthlyUsd: '500', monthlySoft: '50, 80' });
  });

  it('clears what is left empty and keeps the time zone and reset time of a kept budget', () => {
    const body = limitsPatch({ rpm: '', tpm: '90000', dailyUsd: '40', dailySoft: '80', monthlyUsd: '750', monthlySoft: '90, 50' }, [berlinMonth]);
    expect(body).toEqual({
      rpm: null,
      tpm: 90_000,
      budgets: [
        { period: 'day', limit_usd: 40, soft: [0.8] },
        { period: 'month', limit_usd: 750, soft: [0.5, 0.9], timezone: 'Europe/Berlin', reset_at: '06:00' },
      ],
    });
  });

  it('clears the budgets when both amounts are empty', () => {
    expect(limitsPatch({ rpm: '5', tpm: '', dailyUsd: '', dailySoft: '', monthlyUsd: '', monthlySoft: '' }, [berlinMonth])).toEqual({ rpm: 5, tpm: null, budgets: null });
  });

  it('refuses soft thresholds without a limit, and percentages out of range', () => {
    expect(() => limitsPatch({ rpm: '', tpm: '', dailyUsd: '', dailySoft: '50', monthlyUsd: '', monthlySoft: '' }, [])).toThrow('Daily budget: soft thresholds need a limit.');
    expect(() => parseSoft('50, 120', 'Soft')).toThrow(/between 0 and 100/);
    expect(() => limitsPatch({ rpm: '', tpm: '', dailyUsd: '-3', dailySoft: '', monthlyUsd: '', monthlySoft: '' }, [])).toThrow(/^Daily budget: expected an amount/);
    expect(parseSoft('12.5%, 75', 'Soft')).toEqual([0.125, 0.75]);
  });
});
