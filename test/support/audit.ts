// API requests as the API server recorded them in its audit log (the test
// cluster logs the metadata of every write, and of every request of a test's
// service accounts). Benchmarks count the operator's writes here, by user
// agent, rather than trusting the operator's own metrics; the end of each test
// tier looks here for requests the operator's RBAC refused.
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { auditLogPath } from '../cluster/components.js';
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
  const path = startsPath(runDir);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as StartRecord);
}

async function* logLines(runDir: string): AsyncGenerator<string> {
  for (const file of auditLogFiles(runDir))
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity }))
      yield line;
}

/** forbiddenRequests over a run folder's audit log (streamed: a chaos run logs a lot). */
export async function forbiddenInRun(runDir: string, since?: Date): Promise<Forbidden[]> {
  const starts = recordedStarts(runDir);
  const lines: string[] = [];
  for await (const line of logLines(runDir)) if (line.includes('"code":403')) lines.push(line);
  return forbiddenRequests(lines, starts, since);
}
