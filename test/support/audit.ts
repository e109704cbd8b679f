// API writes as the API server recorded them in its audit log (the test
// cluster logs the metadata of every write). Benchmarks count the operator's
// requests here, by user agent, rather than trusting the operator's own metrics.
import { existsSync, readFileSync } from 'node:fs';
import { auditLogPath } from '../cluster/components.js';

export interface AuditedWrite {
  verb: string;
  userAgent: string;
  resource: string;
  code: number;
  at: string;
}

interface AuditEvent {
  stage?: string;
  verb?: string;
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string };
  responseStatus?: { code?: number };
  stageTimestamp?: string;
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
    const at = e.stageTimestamp ?? '';
    if (since !== undefined && new Date(at) < since) continue;
    const sub = e.objectRef?.subresource;
    out.push({
      verb: e.verb ?? '',
      userAgent: e.userAgent ?? '',
      resource: `${e.objectRef?.resource ?? ''}${sub !== undefined ? `/${sub}` : ''}`,
      code: e.responseStatus?.code ?? 0,
      at,
    });
  }
  return out;
}
