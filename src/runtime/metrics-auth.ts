// Who may read /metrics: the caller's bearer token is reviewed by the API
// server (TokenReview), and the user it names must be allowed `get` on the
// non-resource URL /metrics (SubjectAccessReview), as controller-runtime's
// metrics filter does. Metrics name every tenant's namespaces, volumes and
// policies, so they are not for anyone who can reach the port.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import { errorMessage } from '../kube/errors.js';
import { coreTypes } from '../kube/resource.js';
import type { KubeObject } from '../kube/wire.js';
import { systemClock, type Clock } from './clock.js';

export interface Reply {
  status: number;
  contentType?: string;
  body: string;
}

export interface ReviewedUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface TokenReview extends KubeObject {
  spec: { token: string };
  status?: { authenticated?: boolean; user?: ReviewedUser; error?: string };
}

interface SubjectAccessReview extends KubeObject {
  spec: {
    user: string;
    uid?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
    nonResourceAttributes: { path: string; verb: string };
  };
  status?: { allowed?: boolean; reason?: string };
}

interface Entry<V> {
  value: Promise<V>;
  /** Infinity while the answer is still on its way. */
  expiresAt: number;
}

/**
 * Answers kept for a while, loaded once however many callers ask at the same
 * time. A failed load is not kept: the next caller asks again. At most
 * maxEntries answers; the oldest goes first.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: (value: V) => number,
    private readonly maxEntries = 256,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now().getTime();
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.expiresAt > now) return hit.value;
    this.entries.delete(key);
    const entry: Entry<V> = { value: load(), expiresAt: Number.POSITIVE_INFINITY };
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
    try {
      const value = await entry.value;
      entry.expiresAt = this.clock.now().getTime() + this.ttlMs(value);
      return value;
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }
}

/** Seconds to keep what the API server answered: long enough to spare it a review per scrape. */
export const reviewCacheTtl = { allowedMs: 60_000, deniedMs: 10_000 } as const;

/** The verb RBAC knows for an HTTP method, as the API server maps it for non-resource URLs. */
export function verbOf(method: string | undefined): string {
  switch ((method ?? 'GET').toUpperCase()) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

const unauthorized: Reply = { status: 401, body: 'Unauthorized\n' };

export class MetricsGuard {
  private readonly users: TtlCache<ReviewedUser | undefined>;
  private readonly decisions: TtlCache<boolean>;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    clock: Clock = systemClock,
  ) {
    this.users = new TtlCache(clock, (u) =>
      u !== undefined ? reviewCacheTtl.allowedMs : reviewCacheTtl.deniedMs,
    );
    this.decisions = new TtlCache(clock, (ok) => (ok ? reviewCacheTtl.allowedMs : reviewCacheTtl.deniedMs));
  }

  /** undefined lets the request through; a Reply is the refusal to send. */
  async check(req: IncomingMessage): Promise<Reply | undefined> {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return unauthorized;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const verb = verbOf(req.method);
    try {
      // Keyed by a hash: the cache never holds a usable token.
      const user = await this.users.get(hash(token), () => this.authenticate(token));
      if (user === undefined) return unauthorized;
      const key = hash(JSON.stringify([user, verb, path]));
      if (await this.decisions.get(key, () => this.authorize(user, verb, path))) return undefined;
      return { status: 403, body: `Forbidden: user "${user.username}" cannot ${verb} path "${path}"\n` };
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not review a metrics request');
      return { status: 503, body: 'could not review the request with the API server\n' };
    }
  }

  private async authenticate(token: string): Promise<ReviewedUser | undefined> {
    const review = await this.client.create<TokenReview>(coreTypes.tokenReview, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: {},
      spec: { token },
    });
    const user = review.status?.user;
    return review.status?.authenticated === true && user?.username !== undefined ? user : undefined;
  }

  private async authorize(user: ReviewedUser, verb: string, path: string): Promise<boolean> {
    const review = await this.client.create<SubjectAccessReview>(coreTypes.subjectAccessReview, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: user.username,
        ...(user.uid !== undefined ? { uid: user.uid } : {}),
        ...(user.groups !== undefined ? { groups: user.groups } : {}),
        ...(user.extra !== undefined ? { extra: user.extra } : {}),
        nonResourceAttributes: { path, verb },
      },
    });
    return review.status?.allowed === true;
  }
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
