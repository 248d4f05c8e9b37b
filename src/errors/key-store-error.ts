import { GatewayError } from './gateway-error.js';

/**
 * The store that holds the virtual keys cannot be read and the key was not
 * seen recently enough to be trusted from memory: the call is refused, as
 * an outage of the gateway's own store, not as a bad key (a 401 would tell
 * the client to fix a key that is fine).
 */
export class KeyStoreUnavailableError extends GatewayError {
  static readonly CODE = 'key_store_unavailable';
  constructor(options: { readonly cause?: unknown } = {}) {
    super(
      503,
      'server_error',
      KeyStoreUnavailableError.CODE,
      'The gateway cannot check this API key now: its key store cannot be reached. Try again shortly; the key itself may well be fine.',
      { headers: { 'retry-after': '5' }, ...(options.cause === undefined ? {} : { cause: options.cause }) },
    );
  }
}
