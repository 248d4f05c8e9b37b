/** A labelled text input; the hint is tied to it for screen readers. */
export interface FieldProps {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly hint?: string;
  readonly type?: 'text' | 'date';
  readonly required?: boolean;
  readonly inputMode?: 'numeric' | 'decimal' | 'text';
  readonly placeholder?: string;
}

export function Field({ id, label, value, onInput, hint, type = 'text', required = false, inputMode, placeholder }: FieldProps) {
  const common = { id, name: id, value, required, 'aria-describedby': hint === undefined ? undefined : `${id}-hint`, onInput: (e: Event) => onInput((e.currentTarget as HTMLInputElement).value) };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {type === 'date' ? <input type="date" {...common} /> : <input type="text" inputMode={inputMode} placeholder={placeholder} {...common} />}
      {hint !== undefined && (
        <span id={`${id}-hint`} class="hint">
          {hint}
        </span>
      )}
    </div>
  );
}
