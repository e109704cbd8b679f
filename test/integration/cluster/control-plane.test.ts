// Proves the test bed is the real thing: a 1.36 API server, six Ready nodes in
// three zones, RBAC enforced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationV1Api, CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { loadTestKubeConfig } from '../../support/kube.js';

test('the API server reports Kubernetes 1.36', async () => {
  const version = await loadTestKubeConfig().makeApiClient(VersionApi).getCode();
  assert.equal(version.major, '1');
  assert.equal(version.minor, '36');
  assert.match(version.gitVersion, /^v1\.36\.\d+$/);
});

test('six nodes over three zones are Ready', async () => {
  const nodes = await loadTestKubeConfig().makeApiClient(CoreV1Api).listNode();
  const ready = nodes.items.filter((n) =>
    n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
  const byZone = new Map<string, number>();
  for (const n of ready) {
    const zone = n.metadata?.labels?.['topology.kubernetes.io/zone'] ?? '(none)';
    byZone.set(zone, (byZone.get(zone) ?? 0) + 1);
  }
  assert.deepEqual([...byZone.entries()].sort(), [
    ['zone-a', 2],
    ['zone-b', 2],
    ['zone-c', 2],
  ]);
});

test('RBAC is enforced for identities outside system:masters', async () => {
  const review = await loadTestKubeConfig()
    .makeApiClient(AuthorizationV1Api)
    .createSubjectAccessReview({
      body: {
        spec: {
          user: 'system:serviceaccount:default:nobody',
          resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'kube-system' },
        },
      },
    });
  assert.equal(review.status?.allowed, false);
});
