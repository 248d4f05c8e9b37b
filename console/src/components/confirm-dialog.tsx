/** Asks before an action that cannot be undone. */
import type { ComponentChildren } from 'preact';
import { Modal } from './modal.js';

export interface ConfirmDialogProps {
  readonly title: string;
  readonly confirmLabel: string;
  readonly busy: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  readonly children: ComponentChildren;
}

export function ConfirmDialog({ title, confirmLabel, busy, onConfirm, onCancel, children }: ConfirmDialogProps) {
  return (
    <Modal title={title} onClose={onCancel} testId="confirm-dialog">
      {children}
      <div class="actions">
        <button type="button" class="quiet" onClick={onCancel} data-autofocus>
          Cancel
        </button>
        <button type="button" class="danger" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
