// What a reconcile pass tells the controller: done, come back later, or stop
// retrying. Anything thrown that is not a TerminalError retries with backoff.

export interface Result {
  /** Reconcile the key again after this many milliseconds (the per-key backoff resets). */
  requeueAfterMs?: number;
}

export const done: Result = {};

export function requeueAfter(ms: number): Result {
  return { requeueAfterMs: Math.max(0, Math.round(ms)) };
}

/** The earliest of several requested requeues; undefined when none asked. */
export function soonest(...results: readonly Result[]): Result {
  const delays = results.map((r) => r.requeueAfterMs).filter((d): d is number => d !== undefined);
  return delays.length === 0 ? done : requeueAfter(Math.min(...delays));
}

/** An error retrying cannot fix (bad input the schema could not reject). Logged, not retried. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}
