/**
 * `tollgate start --watch-config`: reloads when the configuration file's
 * content changes. The directory is watched, not the file: editors save by
 * writing a new file and renaming it over the old one, and a Kubernetes
 * ConfigMap volume swaps a symlink (`..data`) next to the file; a watch on
 * the file itself would follow the old inode and miss both. Events come in
 * bursts (a write is often a truncate and a write), so they are debounced,
 * and a reload happens only when the bytes differ from the last ones seen.
 */
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ConfigWatch {
  close(): void;
}

export interface ConfigWatchOptions {
  /** Quiet time after the last event before the file is read (default 500 ms). */
  readonly debounceMs?: number;
  /** A watch that cannot be set up or fails later (the reloads by SIGHUP still work). */
  readonly onError: (error: unknown) => void;
}

function digest(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    // Between a delete and the rename that replaces it the file may be missing: the next event reads it.
    return undefined;
  }
}

export function watchConfigFile(path: string, onChange: () => void, options: ConfigWatchOptions): ConfigWatch {
  const file = resolve(path);
  const debounceMs = options.debounceMs ?? 500;
  let seen = digest(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const settle = (): void => {
    timer = undefined;
    const now = digest(file);
    if (now === undefined || now === seen) return;
    seen = now;
    onChange();
  };
  try {
    watcher = watch(dirname(file), { persistent: false }, () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(settle, debounceMs);
      timer.unref();
    });
    watcher.on('error', options.onError);
  } catch (error) {
    options.onError(error);
  }
  return {
    close() {
      if (timer !== undefined) clearTimeout(timer);
      watcher?.close();
    },
  };
}
