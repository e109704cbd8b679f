// A keyed work queue in the manner of client-go's: a key waits at most once,
// a key being processed is never handed to a second worker (a new add while it
// runs is queued for after), failures back off exponentially per key, and
// shutdown stops handing out work and waits for what is running.

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Upper bound for any delay. */
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 250, maxMs: 5 * 60_000 };

/** Delay before the nth consecutive retry of a key (n starts at 1). */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  const exp = Math.min(failures - 1, 40);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
}

export interface QueueHooks {
  added?(): void;
  retried?(): void;
  /** A key was handed to a worker after waiting this long since it was added. */
  started?(waitedSeconds: number): void;
  /** A worker finished a key it held this long. */
  finished?(workedSeconds: number): void;
}

export class WorkQueue {
  private readonly ready: string[] = [];
  /** Keys that must be processed (again): waiting in ready, or re-added while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  /** When each dirty key was added, for the time it waits (kept across a re-add while processing). */
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private stopping = false;

  constructor(
    private readonly backoff: BackoffPolicy = defaultBackoff,
    private readonly hooks: QueueHooks = {},
    private readonly now: () => number = Date.now,
  ) {}

  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.now());
    this.hooks.added?.();
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key once delayMs has passed; an earlier pending add wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopping) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, { at, timer });
  }

  /** Adds the key after its per-key exponential backoff; returns the delay. */
  addRateLimited(key: string): number {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    this.hooks.retried?.();
    const delay = backoffDelay(this.backoff, failures);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's failure count after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    const key = this.ready.shift();
    if (key !== undefined) return Promise.resolve(this.start(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key processed; a re-add that arrived meanwhile becomes ready now. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.hooks.finished?.((this.now() - started) / 1000);
    if (this.dirty.has(key) && !this.stopping) this.push(key);
    if (this.processing.size === 0) {
      for (const idle of this.idleWaiters) idle();
      this.idleWaiters = [];
    }
  }

  get depth(): number {
    return this.ready.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  /** Seconds the longest-running key has been processed, 0 when idle. */
  longestRunningSeconds(): number {
    let oldest = Infinity;
    for (const started of this.processing.values()) oldest = Math.min(oldest, started);
    return oldest === Infinity ? 0 : (this.now() - oldest) / 1000;
  }

  /** Seconds of work in progress summed over every key being processed, 0 when idle. */
  unfinishedWorkSeconds(): number {
    const now = this.now();
    let sum = 0;
    for (const started of this.processing.values()) sum += now - started;
    return sum / 1000;
  }

  /**
   * Stops handing out keys and resolves when every key being processed is
   * done, or after timeoutMs, whichever comes first.
   */
  async shutdown(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const waiter of this.waiters) waiter(undefined);
    this.waiters = [];
    if (this.processing.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(this.start(key));
    else this.ready.push(key);
  }

  private start(key: string): string {
    const now = this.now();
    this.dirty.delete(key);
    this.processing.set(key, now);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.hooks.started?.((now - added) / 1000);
    return key;
  }
}
