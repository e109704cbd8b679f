// Failures of API requests, with the Status the API server sent, so callers
// branch on reason and code instead of parsing messages.

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status code, 0 when no response arrived. */
    readonly code: number,
    /** Status.reason, e.g. NotFound, AlreadyExists, Conflict, Invalid, Gone. */
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * A write the client refused to send: this replica could no longer be sure it
 * leads (see KubeClient's mayWrite). Nothing reached the API server.
 */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  constructor(method: string, path: string) {
    super(`${method} ${path} not sent: this replica's leader lease may have lapsed`);
  }
}

export const isNotLeader = (err: unknown): boolean => err instanceof NotLeaderError;

function codeOf(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => codeOf(err) === 404;
export const isConflict = (err: unknown): boolean => codeOf(err) === 409 && !isAlreadyExists(err);
export const isAlreadyExists = (err: unknown): boolean =>
  err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
export const isGone = (err: unknown): boolean => codeOf(err) === 410;
export const isInvalid = (err: unknown): boolean => codeOf(err) === 422;
export const isForbidden = (err: unknown): boolean => codeOf(err) === 403;

/** Quota exhaustion is a Forbidden whose message says "exceeded quota". */
export const isQuotaExceeded = (err: unknown): boolean =>
  isForbidden(err) && err instanceof Error && err.message.includes('exceeded quota');

/** Worth retrying the same request: throttling, timeouts, server errors, no response. */
export function isTransient(err: unknown): boolean {
  const code = codeOf(err);
  if (code === undefined) return false;
  return code === 0 || code === 429 || code >= 500;
}

/** The message of anything thrown, for logs, conditions and Events. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err);
}
