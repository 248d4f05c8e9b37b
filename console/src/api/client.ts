/**
 * The console's only way to the gateway: same-origin requests to /admin/v1
 * carried by the session cookie. Every change sends the session's CSRF token;
 * a 401 means the session is gone, and the app goes back to its login form.
 */
import type { Session } from './types.js';

/** An answer the API refused, with the server's own words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Readonly<Record<string, string | number | null | undefined>>;

export interface ApiClientOptions {
  /** Origin of the gateway; empty for the page's own (the console as served). */
  readonly baseUrl?: string;
  /** Called on any 401 but a failed login: the session expired or was ended elsewhere. */
  readonly onUnauthorized?: () => void;
}

interface ErrorBody {
  readonly error?: { readonly message?: unknown; readonly code?: unknown };
}

/** The path with its query, leaving out empty values so optional filters stay optional. */
export function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as ErrorBody;
    const message = typeof body.error?.message === 'string' ? body.error.message : undefined;
    const code = typeof body.error?.code === 'string' ? body.error.code : null;
    if (message !== undefined) return new ApiError(response.status, message, code);
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  const reason = response.statusText === '' ? '' : ` ${response.statusText}`;
  return new ApiError(response.status, `The gateway answered ${response.status}${reason}.`, null);
}

export class ApiClient {
  private csrfToken: string | null = null;
  private readonly baseUrl: string;
  private readonly onUnauthorized: () => void;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.onUnauthorized = options.onUnauthorized ?? (() => undefined);
  }

  /** An absolute-path URL for links and EventSource (the cookie authenticates GETs). */
  url(path: string, query?: Query): string {
    return `${this.baseUrl}/admin/v1${withQuery(path, query)}`;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query, undefined);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, undefined, body ?? {});
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, undefined, body);
  }

  /** The live session, or null when there is none (the login form is due). */
  async resume(): Promise<Session | null> {
    const response = await this.send('GET', '/session', undefined, undefined);
    if (response.status === 401) return null;
    if (!response.ok) throw await errorOf(response);
    const session = (await response.json()) as Session;
    this.csrfToken = session.csrf_token;
    return session;
  }

  /** Logs in; a wrong token (401) or too many attempts (429) throws with the server's message. */
  async signIn(token: string): Promise<Session> {
    const response = await this.send('POST', '/session', undefined, { token });
    if (!response.ok) throw await errorOf(response);
    const session = (await response.json()) as Session;
    this.csrfToken = session.csrf_token;
    return session;
  }

  async signOut(): Promise<void> {
    try {
      await this.request<null>('DELETE', '/session', undefined, undefined);
    } finally {
      this.csrfToken = null;
    }
  }

  private send(method: string, path: string, query: Query | undefined, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json';
      if (this.csrfToken !== null) headers['x-csrf-token'] = this.csrfToken;
    }
    return fetch(this.url(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async request<T>(method: string, path: string, query: Query | undefined, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.send(method, path, query, body);
    } catch (cause) {
      throw new ApiError(0, `The gateway could not be reached (${cause instanceof Error ? cause.message : String(cause)}).`, null);
    }
    if (response.status === 401) {
      this.csrfToken = null;
      this.onUnauthorized();
      throw await errorOf(response);
    }
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204) return null as T;
    return (await response.json()) as T;
  }
}

/** The message to show for anything a request threw. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
