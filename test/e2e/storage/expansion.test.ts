// Volume expansion through the real csi-resizer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { createClaim, immediateStorageClassName, waitBound } from '../../support/claims.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';
import { readChecksum, writeRandomBytes } from '../../support/volumes.js';
import { eventually } from '../../support/wait.js';

test('a claim expanded from 1Gi to 2Gi reports 2Gi in its status and keeps its bytes', async (t) => {
  const kc = loadTestKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await createTestNamespace(t, 'grow');
  await createClaim(kc, ns, 'data', { storageClassName: immediateStorageClassName, size: '1Gi' });
  const { claim } = await waitBound(kc, ns, 'data');
  assert.equal(claim.status?.capacity?.storage, '1Gi');
  const written = await writeRandomBytes(kc, ns, 'data', 1024 * 1024);

  await core.patchNamespacedPersistentVolumeClaim(
    { namespace: ns, name: 'data', body: { spec: { resources: { requests: { storage: '2Gi' } } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const grown = await eventually('the claim to report 2Gi', async () => {
    const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace: ns, name: 'data' });
    return pvc.status?.capacity?.storage === '2Gi' ? pvc : undefined;
  });
  const pv = await core.readPersistentVolume({ name: grown.spec?.volumeName ?? '' });
  assert.equal(pv.spec?.capacity?.storage, '2Gi');
  assert.equal(await readChecksum(kc, ns, 'data'), written);
});
