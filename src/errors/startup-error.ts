/**
 * The gateway could not start. Its message is one line for the operator:
 * what failed and what to do. `cause` is for debug logs only.
 */
export class StartupError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StartupError';
  }
}

const LISTEN_HINTS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use; stop the process that uses it or choose another port (--port or server.port)',
  EADDRNOTAVAIL: 'the address is not one of this machine; use one of its addresses, 127.0.0.1, or 0.0.0.0 for all (--host or server.host)',
  EACCES: 'permission denied (ports below 1024 need privileges); choose a port above 1023 (--port or server.port)',
  ENOTFOUND: 'the host name does not resolve; use an IP address or a name of this machine (--host or server.host)',
  EAI_AGAIN: 'the host name could not be resolved now; use an IP address (--host or server.host)',
};

/** Listening on `host:port` failed (the listener's error). */
export function listenFailure(host: string, port: number, error: unknown): StartupError {
  const code = (error as { code?: unknown } | null)?.code;
  const hint = typeof code === 'string' ? LISTEN_HINTS[code] : undefined;
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const detail = hint ?? `${error instanceof Error ? error.message : String(error)}; check --host and --port (server.host, server.port)`;
  return new StartupError(`cannot listen on ${address}${typeof code === 'string' && hint !== undefined ? ` (${code})` : ''}: ${detail}.`, error);
}

/** The usage store at `path` could not be opened or read. */
export function storeFailure(path: string, error: unknown): StartupError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StartupError(
    `cannot open the usage store at '${path}': ${reason.replace(/\s+/g, ' ').replace(/\.$/, '')}. Check that the path is a file (or does not exist yet) in a directory the gateway can write, or set store.path.`,
    error,
  );
}

/** The PostgreSQL store at `location` (its URL, password masked) could not be reached or migrated. */
export function postgresStoreFailure(location: string, error: unknown): StartupError {
  const reason = error instanceof Error && error.message !== '' ? error.message : String((error as { code?: unknown } | null)?.code ?? error);
  return new StartupError(
    `cannot open the PostgreSQL store at ${location}: ${reason.replace(/\s+/g, ' ').replace(/\.$/, '')}. Check that the server is up and reachable and that store.url names a database the user may create tables in.`,
    error,
  );
}
