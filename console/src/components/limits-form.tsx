/** Rate limits and daily/monthly budgets of a tenant or a key, sent as one PATCH. */
import { useState } from 'preact/hooks';
import type { BudgetWire } from '../api/types.js';
import { limitsFieldsOf, limitsPatch, type LimitsFields } from '../lib/forms.js';
import { useAction } from '../lib/use-action.js';
import { ErrorNote } from './error-note.js';
import { Field } from './field.js';

export interface LimitsFormProps {
  /** Prefix of the inputs' ids, unique on the page. */
  readonly idPrefix: string;
  readonly title: string;
  readonly owner: { readonly rpm: number | null; readonly tpm: number | null; readonly budgets: readonly BudgetWire[] };
  readonly save: (body: Record<string, unknown>) => Promise<unknown>;
  readonly onCancel?: () => void;
}

export function LimitsForm({ idPrefix, title, owner, save, onCancel }: LimitsFormProps) {
  const [fields, setFields] = useState<LimitsFields>(() => limitsFieldsOf(owner));
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const set = (name: keyof LimitsFields) => (value: string) => {
    setSaved(false);
    setFields({ ...fields, [name]: value });
  };
  const submit = (event: Event): void => {
    event.preventDefault();
    setSaved(false);
    action.run(() => {
      const body = limitsPatch(fields, owner.budgets);
      return save(body).then(() => setSaved(true));
    });
  };
  const id = (name: string): string => `${idPrefix}-${name}`;
  return (
    <form class="card form" onSubmit={submit} aria-labelledby={id('title')}>
      <h3 id={id('title')}>{title}</h3>
      <div class="fields">
        <Field id={id('rpm')} label="Requests per minute" value={fields.rpm} onInput={set('rpm')} inputMode="numeric" hint="Empty: no limit." />
        <Field id={id('tpm')} label="Tokens per minute" value={fields.tpm} onInput={set('tpm')} inputMode="numeric" hint="Empty: no limit." />
        <Field id={id('daily')} label="Daily budget (USD)" value={fields.dailyUsd} onInput={set('dailyUsd')} inputMode="decimal" hint="Empty: no daily budget." />
        <Field id={id('daily-soft')} label="Daily soft thresholds (%)" value={fields.dailySoft} onInput={set('dailySoft')} hint="Comma separated, such as 50, 80." />
        <Field id={id('monthly')} label="Monthly budget (USD)" value={fields.monthlyUsd} onInput={set('monthlyUsd')} inputMode="decimal" hint="Empty: no monthly budget." />
        <Field id={id('monthly-soft')} label="Monthly soft thresholds (%)" value={fields.monthlySoft} onInput={set('monthlySoft')} hint="Comma separated, such as 50, 80." />
      </div>
      <div class="actions">
        <button type="submit" disabled={action.busy}>
          Save limits
        </button>
        {onCancel !== undefined && (
          <button type="button" class="quiet" onClick={onCancel}>
            Close
          </button>
        )}
        <span class="small" aria-live="polite">
          {saved ? 'Saved.' : ''}
        </span>
      </div>
      <ErrorNote message={action.error} />
    </form>
  );
}
