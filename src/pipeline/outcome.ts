import type { Deployment } from '../routing/router.js';
import type { Call, CallOutcome, CallStatus } from './contracts.js';
import type { AttemptReport } from './relay/relay.js';

export interface OutcomeParts {
  readonly stage: CallOutcome['stage'];
  readonly status: CallStatus;
  readonly httpStatus: number;
  readonly errorCode: string | undefined;
  readonly deployment?: Deployment | undefined;
  readonly report?: AttemptReport | undefined;
  readonly attempts?: number;
  readonly endedEarly?: 'length' | undefined;
}

/** The one outcome of a call, timed from its arrival. */
export function callOutcome(call: Call, parts: OutcomeParts): CallOutcome {
  const now = performance.now();
  const report = parts.report;
  return {
    status: parts.status,
    httpStatus: parts.httpStatus,
    errorCode: parts.errorCode,
    stage: parts.stage,
    endedEarly: parts.endedEarly,
    deployment: parts.deployment,
    attempts: parts.attempts ?? 0,
    usage: report?.usage,
    usageEstimated: report?.usageEstimated === true,
    output: report?.output,
    durationMs: now - call.ctx.startedAt,
    upstreamDurationMs: report ? report.endedAt - report.upstreamStartedAt : 0,
    timeToFirstByteMs: report?.committedAt === undefined ? undefined : report.committedAt - call.ctx.startedAt,
  };
}
