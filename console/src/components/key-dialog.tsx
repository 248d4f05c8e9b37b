/** Shows a new key once (after create or rotate); closing the dialog forgets it. */
import { useState } from 'preact/hooks';
import { Modal } from './modal.js';

export interface KeyDialogProps {
  readonly keyId: string;
  readonly secret: string;
  readonly rotated: boolean;
  readonly onClose: () => void;
}

export function KeyDialog({ keyId, secret, rotated, onClose }: KeyDialogProps) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');

  const copy = (): void => {
    const clipboard = typeof navigator === 'undefined' ? undefined : navigator.clipboard;
    if (clipboard === undefined) {
      setCopied('failed');
      return;
    }
    clipboard.writeText(secret).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };

  return (
    <Modal title={rotated ? `New secret for key ${keyId}` : `Key ${keyId} created`} onClose={onClose} testId="key-dialog">
      <p>Copy the key now: it will not be shown again. The gateway keeps only a hash of it.</p>
      <p class="secret">
        <code data-testid="new-key">{secret}</code>
      </p>
      <p class="small" aria-live="polite">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'failed' ? 'The browser refused the clipboard: select the key and copy it by hand.' : ''}
      </p>
      <div class="actions">
        <button type="button" onClick={copy} data-autofocus>
          Copy
        </button>
        <button type="button" class="quiet" onClick={onClose}>
          Done
        </button>
      </div>
    </Modal>
  );
}
