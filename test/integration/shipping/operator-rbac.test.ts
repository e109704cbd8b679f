// The operator's identity as the tests install it (config/default's namespace
// and config/rbac, test/support/identity.ts), asked through
// SubjectAccessReview: every rule of permissions.ts is granted where it
// applies, and what the operator must never do is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clusterRules,
  leaderElectionRules,
  namespacedRules,
  nodeLeaseNamespace,
  nodeLeaseRules,
  type PolicyRule,
} from '../../../src/controllers/permissions.js';
import { installIdentities, operatorNamespace, operatorServiceAccount } from '../../support/identity.js';
import { loadTestKubeConfig } from '../../support/kube.js';
import { mismatches, type Access } from './tools.js';

const kc = loadTestKubeConfig();
const sa = { namespace: operatorNamespace, name: operatorServiceAccount };
const ownGroup = 'storage.stateful.dev';
const coordination = 'coordination.k8s.io';
const snapshots = 'snapshot.storage.k8s.io';

/** Every (verb, resource) of the rules, asked in `namespace` (undefined: cluster-wide). */
function accesses(rules: readonly PolicyRule[], namespace?: string): Access[] {
  return rules.flatMap((r) =>
    r.apiGroups.flatMap((group) =>
      r.resources.flatMap((res) => {
        const [resource = '', subresource] = res.split('/');
        return r.verbs.map((verb) => ({
          verb,
          resource,
          group,
          ...(subresource !== undefined ? { subresource } : {}),
          ...(namespace !== undefined ? { namespace } : {}),
        }));
      }),
    ),
  );
}

/** What the operator must not be able to do, whatever the code will want next. */
const refused: Access[] = [
  { verb: 'update', resource: 'persistentvolumes' },
  { verb: 'delete', resource: 'persistentvolumes' },
  { verb: 'create', resource: 'persistentvolumes' },
  { verb: 'get', resource: 'secrets', namespace: 'default' },
  { verb: 'list', resource: 'secrets' },
  { verb: 'list', resource: 'leases', group: coordination },
  { verb: 'watch', resource: 'leases', group: coordination, namespace: 'kube-system' },
  { verb: 'list', resource: 'leases', group: coordination, namespace: 'default' },
  { verb: 'update', resource: 'leases', group: coordination, namespace: nodeLeaseNamespace },
  { verb: 'update', resource: 'leases', group: coordination, namespace: 'default' },
  { verb: 'patch', resource: 'pods', namespace: 'default' },
  { verb: 'create', resource: 'pods', namespace: 'default' },
  { verb: 'update', resource: 'persistentvolumeclaims', namespace: 'default' },
  { verb: 'update', resource: 'volumesnapshots', group: snapshots, namespace: 'default' },
  { verb: 'patch', resource: 'volumesnapshots', group: snapshots, namespace: 'default' },
  { verb: 'get', resource: 'volumesnapshotcontents', group: snapshots },
  { verb: 'create', resource: 'statefulvolumes', group: ownGroup, namespace: 'default' },
  { verb: 'update', resource: 'statefulvolumes', group: ownGroup, namespace: 'default' },
  {
    verb: 'patch',
    resource: 'statefulvolumes',
    subresource: 'status',
    group: ownGroup,
    namespace: 'default',
  },
  { verb: 'delete', resource: 'failovergroups', group: ownGroup, namespace: 'default' },
  { verb: 'update', resource: 'statefulsets', group: 'apps', namespace: 'default' },
  { verb: 'delete', resource: 'nodes' },
  { verb: 'patch', resource: 'configmaps', namespace: 'default' },
  { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' },
];

test('the installed operator identity is granted every rule of permissions.ts where it applies', async () => {
  await installIdentities(kc);
  const granted = [
    // The ClusterRole of config/default: everything in every namespace, and cluster-scoped.
    ...accesses([...clusterRules, ...namespacedRules]),
    ...accesses(namespacedRules, 'default'),
    ...accesses(leaderElectionRules, operatorNamespace),
    ...accesses(nodeLeaseRules, nodeLeaseNamespace),
  ];
  assert.ok(granted.length > 40);
  assert.deepEqual(await mismatches(kc, sa, granted, true), []);
});

test('the installed operator identity is refused what it must never do', async () => {
  await installIdentities(kc);
  assert.deepEqual(await mismatches(kc, sa, refused, false), []);
});
