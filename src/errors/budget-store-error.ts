import { GatewayError } from './gateway-error.js';

/**
 * The budgets are kept in a store shared by the gateway's replicas (Redis)
 * and it cannot be reached: with `when_unavailable: fail_closed` a call with a
 * budget is refused rather than let through unchecked.
 */
export class BudgetStoreUnavailableError extends GatewayError {
  static readonly CODE = 'budget_store_unavailable';
  constructor(options: { readonly cause?: unknown } = {}) {
    super(
      503,
      'server_error',
      BudgetStoreUnavailableError.CODE,
      'The gateway cannot reach its shared budget store (Redis); try again shortly.',
      { headers: { 'retry-after': '1' }, ...(options.cause === undefined ? {} : { cause: options.cause }) },
    );
  }
}
