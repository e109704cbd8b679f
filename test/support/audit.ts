// API requests as the API server recorded them in its audit log (the test
// cluster logs the metadata of every write, and of every request of a test's
// service accounts). Benchmarks count the operator's writes here, by user
// agent, rather than trusting the operator's own metrics; the end of each test
// tier looks here for requests the operator's RBAC refused.
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { apiserverRestartsPath, auditLogPath } from '../cluster/components.js';
import { startsPath, type StartRecord } from './identity.js';

const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export interface AuditedWrite {
  verb: string;
  userAgent: string;
  resource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  code: number;
  at: string;
}

export interface AuditEvent {
  stage?: string;
  verb?: string;
  userAgent?: string;
  requestURI?: string;
  user?: { username?: string; extra?: Record<string, string[]> };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
  annotations?: Record<string, string>;
}

/**
 * Access reviews are POSTs that store nothing: the operator creates them to
 * check who scrapes /metrics, on every replica, leader or not. They are not
 * writes to the cluster's state.
 */
const reviews = new Set(['tokenreviews', 'subjectaccessreviews']);

/** Writes whose user agent starts with the prefix, finished at or after `since`; access reviews left out. */
export function auditedWrites(runDir: string, userAgentPrefix: string, since?: Date): AuditedWrite[] {
  return auditedRequests(runDir, userAgentPrefix, since).filter((w) => !reviews.has(w.resource));
}

/** Every audited request whose user agent starts with the prefix, access reviews included. */
export function auditedRequests(runDir: string, userAgentPrefix: string, since?: Date): AuditedWrite[] {
  const path = auditLogPath(runDir);
  if (!existsSync(path))
    throw new Error(`no audit log at ${path}: was the cluster started by this checkout?`);
  const out: AuditedWrite[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes(userAgentPrefix)) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== 'ResponseComplete' || !(e.userAgent ?? '').startsWith(userAgentPrefix)) continue;
    if (!writeVerbs.has(e.verb ?? '')) continue;
    const at = e.stageTimestamp ?? '';
    if (since !== undefined && new Date(at) < since) continue;
    out.push(auditedWrite(e, at));
  }
  return out;
}

function auditedWrite(e: AuditEvent, at: string): AuditedWrite {
  const ref = e.objectRef ?? {};
  return {
    verb: e.verb ?? '',
    userAgent: e.userAgent ?? '',
    resource: `${ref.resource ?? ''}${ref.subresource !== undefined ? `/${ref.subresource}` : ''}`,
    namespace: ref.namespace ?? '',
    code: e.responseStatus?.code ?? 0,
    at,
  };
}

/** The audit log and its rotated predecessors (audit-<time>.log), oldest first. */
export function auditLogFiles(runDir: string): string[] {
  const current = auditLogPath(runDir);
  const dir = dirname(current);
  if (!existsSync(dir)) return [];
  const rotated = readdirSync(dir)
    .filter((f) => /^audit-.+\.log$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  return [...rotated, ...(existsSync(current) ? [current] : [])];
}

/** A request a recorded identity made that the API server refused. */
export interface Forbidden {
  verb: string;
  /** resource[/subresource], with its API group when not core: "leases.coordination.k8s.io". */
  resource: string;
  /** Empty for cluster-scoped resources and requests across all namespaces. */
  namespace: string;
  name: string;
  user: string;
  /** The start that made it; undefined if no start recorded its credential. */
  start?: StartRecord;
  at: string;
}

export const credentialIdKey = 'authentication.kubernetes.io/credential-id';
const decisionKey = 'authorization.k8s.io/decision';

/**
 * Every request the authorizer refused (403, decision forbid) to a user that a recorded start ran as (the
 * operator, a chart's account, the runtime fixture), received at or after
 * `since`, each with the start its token belongs to.
 */
export function forbiddenRequests(
  lines: Iterable<string>,
  starts: readonly StartRecord[],
  since?: Date,
): Forbidden[] {
  const byCredential = new Map(starts.map((s) => [s.credentialId, s]));
  const users = new Set(starts.map((s) => s.user));
  const out: Forbidden[] = [];
  for (const line of lines) {
    // Cheap before JSON.parse: the log holds every request of these users.
    if (!line.includes('"code":403')) continue;
    const e = JSON.parse(line) as AuditEvent;
    const user = e.user?.username ?? '';
    if (e.stage !== 'ResponseComplete' || e.responseStatus?.code !== 403 || !users.has(user)) continue;
    // The authorizer's refusal; a 403 that RBAC allowed came from admission (an exceeded
    // ResourceQuota), which tests provoke on purpose and which no rule could grant.
    if (e.annotations?.[decisionKey] === 'allow') continue;
    const at = e.requestReceivedTimestamp ?? e.stageTimestamp ?? '';
    if (since !== undefined && new Date(at) < since) continue;
    const start = byCredential.get(e.user?.extra?.[credentialIdKey]?.[0] ?? '');
    out.push({ ...target(e), user, ...(start !== undefined ? { start } : {}), at });
  }
  return out;
}

function target(e: AuditEvent): Pick<Forbidden, 'verb' | 'resource' | 'namespace' | 'name'> {
  const ref = e.objectRef ?? {};
  const group = ref.apiGroup !== undefined && ref.apiGroup !== '' ? `.${ref.apiGroup}` : '';
  const sub = ref.subresource !== undefined ? `/${ref.subresource}` : '';
  return {
    verb: e.verb ?? '',
    resource: ref.resource !== undefined ? `${ref.resource}${group}${sub}` : (e.requestURI ?? ''),
    namespace: ref.namespace ?? '',
    name: ref.name ?? '',
  };
}

/** One line per refusal: what was refused, where, and which test started the process that asked. */
export function describeForbidden(f: Forbidden): string {
  const where = f.namespace !== '' ? ` in namespace ${f.namespace}` : ' (cluster-wide)';
  const what = `${f.verb} ${f.resource}${f.name !== '' ? ` ${f.name}` : ''}${where}`;
  const who =
    f.start !== undefined
      ? `${f.start.file}${f.start.test !== '' ? ` › ${f.start.test}` : ''}`
      : 'a start with no record (credential not found)';
  const rules = f.start !== undefined ? `; its rules: ${rulesSource[f.start.role]}` : '';
  return `403 ${what} as ${f.user}, started by ${who}${rules}`;
}

/** Where each test identity's rules are written, so a 403 points at the file to fix. */
const rulesSource: Record<StartRecord['role'], string> = {
  operator: 'src/controllers/permissions.ts (config/rbac is generated from it)',
  chart: 'src/controllers/permissions.ts (the chart’s RBAC templates are generated from it)',
  'runtime-fixture': 'fixtureRbac in test/support/identity.ts',
};

/** The starts recorded in a run folder. */
export function recordedStarts(runDir: string): StartRecord[] {
  return jsonLines<StartRecord>(startsPath(runDir));
}

/** One JSON value per line; none when the file was never written. */
function jsonLines<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

async function* logLines(runDir: string): AsyncGenerator<string> {
  for (const file of auditLogFiles(runDir))
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
      yield line;
}

/** A time the API server was restarting: from its stop until its /readyz said 200. */
export interface Restart {
  from: string;
  to: string;
}

/** The API server restarts recorded in a run folder (test/cluster restartComponent). */
export function apiserverRestarts(runDir: string): Restart[] {
  return jsonLines<Restart>(apiserverRestartsPath(runDir));
}

/** Who asked for what: a refused request and a later allowed one match on it. */
export function requestKey(f: Pick<Forbidden, 'user' | 'verb' | 'resource' | 'namespace' | 'name'>): string {
  return [f.user, f.verb, f.resource, f.namespace, f.name].join(' ');
}

/**
 * The refusals that count. One received while the API server restarted is
 * excused only when the same identity was allowed the very same request
 * afterwards: a freshly started authorizer refuses until it has loaded the
 * RBAC rules, so such a 403 says nothing about the rules, and the later
 * allowance proves they grant it. Any other refusal counts.
 */
export function splitRefusals(
  refused: readonly Forbidden[],
  restarts: readonly Restart[],
  allowedAfter: (f: Forbidden) => boolean,
): { counted: Forbidden[]; excused: Forbidden[] } {
  const counted: Forbidden[] = [];
  const excused: Forbidden[] = [];
  for (const f of refused) {
    const at = new Date(f.at).getTime();
    const restarting = restarts.some(
      (r) => new Date(r.from).getTime() <= at && at <= new Date(r.to).getTime(),
    );
    (restarting && allowedAfter(f) ? excused : counted).push(f);
  }
  return { counted, excused };
}

/**
 * The refusals in a run folder's audit log (streamed: a chaos run logs a lot),
 * split into those that count and those excused by an API server restart.
 */
export async function refusalsInRun(
  runDir: string,
  since?: Date,
): Promise<{ counted: Forbidden[]; excused: Forbidden[] }> {
  const starts = recordedStarts(runDir);
  const lines: string[] = [];
  for await (const line of logLines(runDir)) if (line.includes('"code":403')) lines.push(line);
  const refused = forbiddenRequests(lines, starts, since);
  const restarts = apiserverRestarts(runDir);
  if (restarts.length === 0 || refused.length === 0) return { counted: refused, excused: [] };
  // The earliest refusal per request; an allowance after it clears it.
  const firstRefused = new Map<string, number>();
  for (const f of refused) {
    const key = requestKey(f);
    firstRefused.set(key, Math.min(firstRefused.get(key) ?? Infinity, new Date(f.at).getTime()));
  }
  const allowed = new Set<string>();
  for await (const line of logLines(runDir)) {
    if (!line.includes(`"${decisionKey}":"allow"`)) continue;
    const e = JSON.parse(line) as AuditEvent;
    // A watch that is still open has only its ResponseStarted stage logged.
    if (e.stage !== 'ResponseStarted' && e.stage !== 'ResponseComplete') continue;
    const key = requestKey({ user: e.user?.username ?? '', ...target(e) });
    const refusedAt = firstRefused.get(key);
    const at = new Date(e.requestReceivedTimestamp ?? e.stageTimestamp ?? '').getTime();
    if (refusedAt !== undefined && at > refusedAt) allowed.add(key);
  }
  return splitRefusals(refused, restarts, (f) => allowed.has(requestKey(f)));
}
