// Data-integrity helpers that need no kubelet: a claim's bytes live in the
// directory the test bed's CSI driver made for its volume, found through the
// PV's volumeHandle. A test writes random bytes there, snapshots or clones the
// claim through Kubernetes, and compares checksums on the other side.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { csiDriverName, csiPaths, volumeDirectory } from '../cluster/storage.js';
import { clusterRunDir } from './control.js';
import { testKubeconfigPath } from './kube.js';

export const defaultDataFile = 'data.bin';

/** The run folder of the test cluster: SVO_CLUSTER_RUN, else the folder holding its kubeconfig. */
export function storageRunDir(): string {
  const dir = clusterRunDir() ?? dirname(testKubeconfigPath());
  if (!existsSync(csiPaths(dir).dataDir))
    throw new Error(
      `${dir} has no CSI data: start the cluster with storage (--storage, SVO_CLUSTER_STORAGE=1)`,
    );
  return dir;
}

/** The CSI volume handle of a Bound claim's PV; fails if the claim is not Bound to this driver. */
export async function volumeHandleOf(kc: KubeConfig, namespace: string, claim: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const pvc = await core.readNamespacedPersistentVolumeClaim({ namespace, name: claim });
  const pvName = pvc.spec?.volumeName;
  if (pvName === undefined || pvName === '') throw new Error(`claim ${namespace}/${claim} is not bound`);
  const csi = (await core.readPersistentVolume({ name: pvName })).spec?.csi;
  if (csi?.driver !== csiDriverName)
    throw new Error(`PV ${pvName} of ${namespace}/${claim} is not a ${csiDriverName} volume`);
  return csi.volumeHandle;
}

/** The directory backing a Bound claim's volume. */
export async function claimDirectory(kc: KubeConfig, namespace: string, claim: string): Promise<string> {
  const dir = volumeDirectory(storageRunDir(), await volumeHandleOf(kc, namespace, claim));
  if (!existsSync(dir)) throw new Error(`the driver has no directory for ${namespace}/${claim}: ${dir}`);
  return dir;
}

/** Writes `size` random bytes into `file` of the claim's volume and returns their sha256 (hex). */
export async function writeRandomBytes(
  kc: KubeConfig,
  namespace: string,
  claim: string,
  size: number,
  file = defaultDataFile,
): Promise<string> {
  const path = join(await claimDirectory(kc, namespace, claim), file);
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    const chunk = 1024 * 1024;
    for (let written = 0; written < size; written += chunk) {
      const bytes = randomBytes(Math.min(chunk, size - written));
      hash.update(bytes);
      await handle.write(bytes);
    }
    // The bytes must be on disk before a snapshot copies the directory.
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** sha256 (hex) of `file` in the claim's volume. */
export async function readChecksum(
  kc: KubeConfig,
  namespace: string,
  claim: string,
  file = defaultDataFile,
): Promise<string> {
  const path = join(await claimDirectory(kc, namespace, claim), file);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
