// Every (verb, resource) the shipped RBAC grants is used by the code, and
// everything the code does is granted, in the right place. What the code does
// is found two ways: the informers a manager with every controller registered
// declares (list and watch, and in which namespace), and every client call in
// src/ (get, create, update, patch, delete), with the type it is called on.
// A new call on a new type fails here until this table learns the type and
// permissions.ts the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  failoverGroupType,
  statefulVolumeType,
  volumeBackupPolicyType,
  volumeBackupType,
} from '../../../src/controllers/kinds.js';
import {
  clusterRules,
  leaderElectionRules,
  namespacedRules,
  nodeLeaseNamespace,
  nodeLeaseRules,
  type PolicyRule,
} from '../../../src/controllers/permissions.js';
import { coreTypes, type ResourceType } from '../../../src/kube/resource.js';
import { repoRoot } from '../../cluster/layout.js';
import { unstartedOperator } from '../../support/unstarted-operator.js';

/** Where a grant applies: the ClusterRole, the leader-election Role, the node-lease Role. */
type Scope = 'cluster' | 'own-namespace' | typeof nodeLeaseNamespace;

const key = (verb: string, resource: string, scope: Scope): string => `${scope}: ${verb} ${resource}`;

function resourceOf(type: ResourceType, subresource?: string): string {
  const group = type.group === '' ? '' : `.${type.group}`;
  return `${type.plural}${group}${subresource !== undefined ? `/${subresource}` : ''}`;
}

function grants(rules: readonly PolicyRule[], scope: Scope): string[] {
  return rules.flatMap((r) =>
    r.resources.flatMap((res) => {
      const [plural, sub] = res.split('/');
      return r.apiGroups.flatMap((g) =>
        r.verbs.map((v) =>
          key(v, `${plural ?? ''}${g === '' ? '' : `.${g}`}${sub !== undefined ? `/${sub}` : ''}`, scope),
        ),
      );
    }),
  );
}

const granted = new Set([
  ...grants([...clusterRules, ...namespacedRules], 'cluster'),
  ...grants(leaderElectionRules, 'own-namespace'),
  ...grants(nodeLeaseRules, nodeLeaseNamespace),
]);

/**
 * Granted without a client call: OwnerReferencesPermissionEnforcement asks for
 * update on the owner's finalizers when the operator sets blockOwnerDeletion
 * on a child it creates (claims of StatefulVolumes and FailoverGroups,
 * snapshots of VolumeBackups).
 */
const admissionOnly = [
  key('update', resourceOf(statefulVolumeType, 'finalizers'), 'cluster'),
  key('update', resourceOf(volumeBackupType, 'finalizers'), 'cluster'),
  key('update', resourceOf(failoverGroupType, 'finalizers'), 'cluster'),
];

/** The first argument of a client call, as written in src/, and the type it names. */
const types: Record<string, ResourceType> = {
  'coreTypes.persistentVolume': coreTypes.persistentVolume,
  'coreTypes.persistentVolumeClaim': coreTypes.persistentVolumeClaim,
  'coreTypes.node': coreTypes.node,
  'coreTypes.pod': coreTypes.pod,
  'coreTypes.event': coreTypes.event,
  'coreTypes.lease': coreTypes.lease,
  'coreTypes.volumeAttachment': coreTypes.volumeAttachment,
  'coreTypes.tokenReview': coreTypes.tokenReview,
  'coreTypes.subjectAccessReview': coreTypes.subjectAccessReview,
  statefulVolumeType,
  volumeBackupType,
  volumeBackupPolicyType,
  failoverGroupType,
  volumeSnapshotType: coreTypes.volumeSnapshot,
};

/** The type an argument names: a known expression, or a local `const x = <known expression>;` of the file. */
function typeOf(arg: string, text: string): ResourceType | undefined {
  const local = new RegExp(`const ${arg} = ([\\w.]+);`).exec(text)?.[1];
  return types[arg] ?? (local !== undefined ? types[local] : undefined);
}

/** Generic code whose calls are counted at their callers (writeStatus, addFinalizer) or as informers. */
const generic = new Set([
  'src/runtime/status.ts',
  'src/runtime/finalizers.ts',
  'src/runtime/informer.ts',
  'src/kube/client.ts',
]);

const verbOf: Record<string, [string, string?]> = {
  get: ['get'],
  find: ['get'],
  list: ['list'],
  create: ['create'],
  update: ['update'],
  updateStatus: ['update', 'status'],
  patch: ['patch'],
  delete: ['delete'],
  addFinalizer: ['patch'],
  removeFinalizer: ['patch'],
  writeStatus: ['update', 'status'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return entry.endsWith('.ts') ? [path] : [];
  });
}

interface CallSite {
  at: string;
  call: string;
  used?: string;
}

/** Every client call (and call of a generic helper) in src/, resolved to what it asks of the API server. */
function callSites(): CallSite[] {
  const calls =
    /\bclient\.(get|find|list|create|update|updateStatus|patch|delete)(?:<[^()]*>)?\(\s*([\w.]+)|\b(addFinalizer|removeFinalizer|writeStatus)\(\s*[\w.]+\s*,\s*([\w.]+)/g;
  const out: CallSite[] = [];
  for (const path of sourceFiles(join(repoRoot, 'src'))) {
    const file = relative(repoRoot, path);
    if (generic.has(file)) continue;
    const text = readFileSync(path, 'utf8');
    for (const m of text.matchAll(calls)) {
      const method = m[1] ?? m[3] ?? '';
      const arg = m[2] ?? m[4] ?? '';
      const line = text.slice(0, m.index).split('\n').length;
      const at = `${file}:${String(line)}`;
      const type = typeOf(arg, text);
      const [verb, sub] = verbOf[method] ?? [];
      if (type === undefined || verb === undefined) {
        out.push({ at, call: `${method}(${arg}, …)` });
        continue;
      }
      const scope: Scope = file === 'src/runtime/leaderelection.ts' ? 'own-namespace' : 'cluster';
      out.push({ at, call: `${method}(${arg}, …)`, used: key(verb, resourceOf(type, sub), scope) });
    }
  }
  return out;
}

/** list and watch of every informer a manager with all four controllers declares, in its namespace. */
function informerUses(): string[] {
  // All namespaces, as config/default installs it: the cache must still keep node Leases to their namespace.
  const mgr = unstartedOperator();
  return mgr.cache.declared().flatMap((inf) => {
    const scope: Scope = inf.namespace === nodeLeaseNamespace ? nodeLeaseNamespace : 'cluster';
    if (inf.namespace !== undefined && inf.namespace !== nodeLeaseNamespace)
      throw new Error(`${inf.name}: an informer pinned to a namespace the RBAC does not know`);
    return ['list', 'watch'].map((verb) => key(verb, resourceOf(inf.type), scope));
  });
}

test('every client call in src/ names a type this test knows', () => {
  const unknown = callSites().filter((c) => c.used === undefined);
  assert.deepEqual(
    unknown.map((c) => `${c.at} ${c.call}`),
    [],
    'add the type to `types` in this test, and its rule to src/controllers/permissions.ts',
  );
});

test('everything the code asks of the API server is granted, in the namespace it asks in', () => {
  const used = new Map<string, string>();
  for (const c of callSites()) if (c.used !== undefined) used.set(c.used, c.at);
  for (const u of informerUses()) used.set(u, 'an informer');
  const missing = [...used].filter(([k]) => !granted.has(k)).map(([k, at]) => `${k} (${at})`);
  assert.deepEqual(missing, [], 'add these to src/controllers/permissions.ts and run `npm run generate`');
});

test('everything the shipped RBAC grants is used by a call in src/ or by an informer', () => {
  const used = new Set([
    ...callSites().flatMap((c) => (c.used !== undefined ? [c.used] : [])),
    ...informerUses(),
    ...admissionOnly,
  ]);
  const unused = [...granted].filter((g) => !used.has(g));
  assert.deepEqual(unused, [], 'drop these from src/controllers/permissions.ts (least privilege)');
});

test('node Leases are listed and watched in kube-node-lease only, even when every namespace is watched', () => {
  const leases = informerUses().filter((u) => u.includes('leases.coordination.k8s.io'));
  assert.deepEqual(leases, [
    key('list', 'leases.coordination.k8s.io', nodeLeaseNamespace),
    key('watch', 'leases.coordination.k8s.io', nodeLeaseNamespace),
  ]);
});

test('PersistentVolumes may be patched and nothing more that writes', () => {
  const pv = [...granted].filter((g) => g.includes(' persistentvolumes'));
  assert.deepEqual(pv.sort(), [
    key('get', 'persistentvolumes', 'cluster'),
    key('list', 'persistentvolumes', 'cluster'),
    key('patch', 'persistentvolumes', 'cluster'),
    key('watch', 'persistentvolumes', 'cluster'),
  ]);
});
