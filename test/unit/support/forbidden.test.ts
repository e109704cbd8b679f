// The end-of-tier audit check: which audit events count as the operator being
// refused, and which test they are blamed on. The events are shaped as the
// API server writes them (Metadata level, one JSON object per line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentialIdKey,
  describeForbidden,
  forbiddenRequests,
  refusalsInRun,
  type AuditEvent,
} from '../../support/audit.js';
import { apiserverRestartsPath, auditLogPath } from '../../cluster/components.js';
import { credentialIdOf, startsPath, type StartRecord } from '../../support/identity.js';

const operator = 'system:serviceaccount:stateful-volume-system:stateful-volume-operator';
const fixture = 'system:serviceaccount:svo-test-fixtures:runtime-fixture';

const starts: StartRecord[] = [
  {
    role: 'operator',
    user: operator,
    file: 'test/e2e/failover/zone-failure.disruptive.test.ts',
    test: 'zone-a fails: the group promotes zone-b',
    credentialId: 'JTI=aaaa',
    at: '2026-12-07T20:00:00Z',
  },
  {
    role: 'runtime-fixture',
    user: fixture,
    file: 'test/integration/runtime/converge.test.ts',
    test: 'converges',
    credentialId: 'JTI=ffff',
    at: '2026-12-07T20:00:00Z',
  },
];

function event(over: Partial<AuditEvent> & { code?: number; jti?: string; username?: string }): string {
  const { code = 403, jti = 'JTI=aaaa', username = operator, ...rest } = over;
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    stage: 'ResponseComplete',
    verb: 'patch',
    user: { username, extra: { [credentialIdKey]: [jti] } },
    objectRef: { resource: 'persistentvolumes', name: 'pv-1', apiVersion: 'v1' },
    responseStatus: { code },
    requestReceivedTimestamp: '2026-12-07T20:01:00.000000Z',
    annotations: { 'authorization.k8s.io/decision': code === 403 ? 'forbid' : 'allow' },
    ...rest,
  });
}

const cases: { name: string; line: string; found: string[] }[] = [
  {
    name: 'a refused PV patch of the operator is blamed on the test that started it',
    line: event({}),
    found: [
      '403 patch persistentvolumes pv-1 (cluster-wide) as ' +
        `${operator}, started by test/e2e/failover/zone-failure.disruptive.test.ts › zone-a fails: the group promotes zone-b; its rules: src/controllers/permissions.ts (config/rbac is generated from it)`,
    ],
  },
  {
    name: 'a refused watch in one namespace names the namespace and the API group',
    line: event({
      verb: 'watch',
      objectRef: { resource: 'leases', apiGroup: 'coordination.k8s.io', namespace: 'kube-system' },
    }),
    found: [
      `403 watch leases.coordination.k8s.io in namespace kube-system as ${operator}, started by ` +
        'test/e2e/failover/zone-failure.disruptive.test.ts › zone-a fails: the group promotes zone-b; its rules: src/controllers/permissions.ts (config/rbac is generated from it)',
    ],
  },
  {
    name: 'a refused status update names the subresource',
    line: event({
      verb: 'update',
      objectRef: {
        resource: 'statefulvolumes',
        apiGroup: 'storage.stateful.dev',
        subresource: 'status',
        namespace: 'ns',
        name: 'db',
      },
    }),
    found: [
      `403 update statefulvolumes.storage.stateful.dev/status db in namespace ns as ${operator}, started by ` +
        'test/e2e/failover/zone-failure.disruptive.test.ts › zone-a fails: the group promotes zone-b; its rules: src/controllers/permissions.ts (config/rbac is generated from it)',
    ],
  },
  {
    name: 'the runtime fixture is checked as well',
    line: event({
      username: fixture,
      jti: 'JTI=ffff',
      verb: 'create',
      objectRef: { resource: 'configmaps', namespace: 'rt' },
    }),
    found: [
      `403 create configmaps in namespace rt as ${fixture}, started by test/integration/runtime/converge.test.ts › converges; its rules: fixtureRbac in test/support/identity.ts`,
    ],
  },
  {
    name: 'a token no start recorded is still reported, as unknown',
    line: event({ jti: 'JTI=zzzz' }),
    found: [
      `403 patch persistentvolumes pv-1 (cluster-wide) as ${operator}, started by a start with no record (credential not found)`,
    ],
  },
  {
    name: 'an allowed request is not a finding',
    line: event({ code: 200 }),
    found: [],
  },
  {
    name: 'a 403 from admission that RBAC allowed (an exceeded quota) is not a finding',
    line: event({
      verb: 'create',
      objectRef: { resource: 'persistentvolumeclaims', namespace: 'ns', name: 'big' },
      annotations: { 'authorization.k8s.io/decision': 'allow' },
    }),
    found: [],
  },
  {
    name: 'a 404 is not a finding',
    line: event({ code: 404 }),
    found: [],
  },
  {
    name: 'a 403 to the admin or a built-in controller is not the operator’s',
    line: event({ username: 'system:serviceaccount:kube-system:pv-protection-controller' }),
    found: [],
  },
  {
    name: 'a 403 before the tier began belongs to an earlier tier',
    line: event({ requestReceivedTimestamp: '2026-12-07T19:59:59.000000Z' }),
    found: [],
  },
  {
    name: 'the response-started stage of a watch is not counted twice',
    line: event({ stage: 'ResponseStarted' }),
    found: [],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const found = forbiddenRequests([c.line], starts, new Date('2026-12-07T20:00:00Z')).map(
      describeForbidden,
    );
    assert.deepEqual(found, c.found);
  });
}

test('a run folder’s audit log, rotated part included, is read with the starts recorded beside it', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'svo-audit-'));
  mkdirSync(join(runDir, 'logs'));
  writeFileSync(join(runDir, 'logs', 'audit-2026-12-07T19-00-00.000.log'), `${event({ verb: 'delete' })}\n`);
  writeFileSync(auditLogPath(runDir), `${event({ code: 200 })}\n${event({})}\n`);
  writeFileSync(startsPath(runDir), `${starts.map((s) => JSON.stringify(s)).join('\n')}\n`);
  const { counted: found, excused } = await refusalsInRun(runDir);
  assert.deepEqual(excused, []);
  assert.deepEqual(
    found.map((f) => `${f.verb} ${f.resource} ${f.start?.file ?? '?'}`),
    [
      'delete persistentvolumes test/e2e/failover/zone-failure.disruptive.test.ts',
      'patch persistentvolumes test/e2e/failover/zone-failure.disruptive.test.ts',
    ],
  );
});

// An API server restart: stopped at 20:01:00, ready at 20:01:10.
const restart = { from: '2026-12-07T20:01:00.000Z', to: '2026-12-07T20:01:10.000Z' };
const watch = {
  verb: 'watch',
  objectRef: { resource: 'configmaps', namespace: 'rt' },
  jti: 'JTI=ffff',
  username: fixture,
};

const restartCases: { name: string; lines: string[]; counted: number; excused: number }[] = [
  {
    name: 'a refusal during a restart, allowed to the same identity once the server is ready, is excused',
    lines: [
      event({ ...watch, requestReceivedTimestamp: '2026-12-07T20:01:05.000000Z' }),
      event({
        ...watch,
        code: 200,
        stage: 'ResponseStarted',
        requestReceivedTimestamp: '2026-12-07T20:01:12.000000Z',
      }),
    ],
    counted: 0,
    excused: 1,
  },
  {
    name: 'a refusal during a restart that is never allowed afterwards counts: the rules lack it',
    lines: [event({ ...watch, requestReceivedTimestamp: '2026-12-07T20:01:05.000000Z' })],
    counted: 1,
    excused: 0,
  },
  {
    name: 'an allowance before the refusal does not excuse it',
    lines: [
      event({ ...watch, code: 200, requestReceivedTimestamp: '2026-12-07T20:00:30.000000Z' }),
      event({ ...watch, requestReceivedTimestamp: '2026-12-07T20:01:05.000000Z' }),
    ],
    counted: 1,
    excused: 0,
  },
  {
    name: 'a refusal outside the restart counts even when the same request is allowed later',
    lines: [
      event({ ...watch, requestReceivedTimestamp: '2026-12-07T20:01:30.000000Z' }),
      event({ ...watch, code: 200, requestReceivedTimestamp: '2026-12-07T20:01:40.000000Z' }),
    ],
    counted: 1,
    excused: 0,
  },
  {
    name: 'an allowance of another request of the same identity does not excuse it',
    lines: [
      event({ ...watch, requestReceivedTimestamp: '2026-12-07T20:01:05.000000Z' }),
      event({ ...watch, verb: 'list', code: 200, requestReceivedTimestamp: '2026-12-07T20:01:12.000000Z' }),
    ],
    counted: 1,
    excused: 0,
  },
];

for (const c of restartCases) {
  test(c.name, async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'svo-audit-'));
    mkdirSync(join(runDir, 'logs'));
    writeFileSync(auditLogPath(runDir), `${c.lines.join('\n')}\n`);
    writeFileSync(startsPath(runDir), `${starts.map((s) => JSON.stringify(s)).join('\n')}\n`);
    writeFileSync(apiserverRestartsPath(runDir), `${JSON.stringify(restart)}\n`);
    const { counted, excused } = await refusalsInRun(runDir);
    assert.equal(counted.length, c.counted, 'counted');
    assert.equal(excused.length, c.excused, 'excused');
  });
}

test('the credential id of a token is its JWT ID, as the audit log shows it', () => {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${part({ alg: 'RS256' })}.${part({ jti: '5c7c3f1e-4d2b-4c1a-9d1e-0a1b2c3d4e5f', sub: 'x' })}.sig`;
  assert.equal(credentialIdOf(token), 'JTI=5c7c3f1e-4d2b-4c1a-9d1e-0a1b2c3d4e5f');
});
