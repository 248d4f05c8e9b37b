import type { Admission, AdmissionHandle, Call, CallObserver, CallOutcome, RequestPolicy, StreamHook } from '../../src/pipeline/contracts.js';

/** Ends every watched response once `limit` output tokens have passed. */
export function tokenCeilingPolicy(limit: number): RequestPolicy & { readonly verdicts: number[] } {
  const verdicts: number[] = [];
  return {
    name: 'token-ceiling',
    verdicts,
    admit(): Admission {
      const hook: StreamHook = {
        onOutput(_delta, outputTokens) {
          if (outputTokens < limit) return 'continue';
          verdicts.push(outputTokens);
          return { end: 'length' };
        },
      };
      return { hook };
    },
  };
}

/** A policy that refuses nothing and hands back a handle that counts its settlements per request id. */
export function countingAdmission(): RequestPolicy & { readonly settled: Map<string, CallOutcome[]> } {
  const settled = new Map<string, CallOutcome[]>();
  return {
    name: 'counting',
    settled,
    admit(call: Call): Admission {
      const handle: AdmissionHandle = {
        settle(outcome) {
          const list = settled.get(call.ctx.requestId) ?? [];
          list.push(outcome);
          settled.set(call.ctx.requestId, list);
        },
      };
      return { handle };
    },
  };
}

/** Counts onStart and onEnd per request id. */
export function countingObserver(): CallObserver & { readonly ends: Map<string, CallOutcome[]>; readonly starts: Map<string, number> } {
  const ends = new Map<string, CallOutcome[]>();
  const starts = new Map<string, number>();
  return {
    ends,
    starts,
    onStart(call) {
      starts.set(call.ctx.requestId, (starts.get(call.ctx.requestId) ?? 0) + 1);
    },
    onEnd(call, outcome) {
      const list = ends.get(call.ctx.requestId) ?? [];
      list.push(outcome);
      ends.set(call.ctx.requestId, list);
    },
  };
}

/** Refuses every call with the given error. */
export function refusingPolicy(error: () => Error): RequestPolicy {
  return {
    name: 'refusing',
    admit() {
      throw error();
    },
  };
}
