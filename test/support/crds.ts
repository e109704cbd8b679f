// Installs the CRDs of crds/ into the test cluster. Every test file that
// needs them calls ensureCrds; node --test runs files in parallel processes,
// so installing must be idempotent and must tolerate racing itself.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { load } from 'js-yaml';
import { eventually } from './wait.js';

export const crdFieldManager = 'svo-tests';

const crdDir = join(import.meta.dirname, '..', '..', 'crds');

/**
 * After a CRD changes, the API server swaps in the new schema asynchronously:
 * Established stays True throughout, so a request sent right after an apply may
 * still be validated by the old schema. Waiting this long after the last write
 * to the CRD closes that window for every process, not only the one that wrote.
 */
const settleMs = 2_000;

export async function loadCrds(): Promise<V1CustomResourceDefinition[]> {
  const files = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(
    files.map(async (f) => load(await readFile(join(crdDir, f), 'utf8')) as V1CustomResourceDefinition),
  );
}

function retriable(err: unknown): boolean {
  // 409: two processes creating the same CRD at once; 429/5xx: a busy API server.
  return err instanceof ApiException && [409, 429, 500, 503, 504].includes(err.code);
}

async function apply(api: ApiextensionsV1Api, crd: V1CustomResourceDefinition): Promise<void> {
  const name = crd.metadata?.name ?? '';
  for (let attempt = 1; ; attempt++) {
    try {
      await api.patchCustomResourceDefinition(
        { name, body: crd, fieldManager: crdFieldManager, force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
      return;
    } catch (err) {
      if (!retriable(err) || attempt >= 5) throw err;
      await sleep(200 * attempt);
    }
  }
}

function conditionTrue(crd: V1CustomResourceDefinition, type: string): boolean {
  return crd.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

function lastWrite(crd: V1CustomResourceDefinition): number {
  const times = (crd.metadata?.managedFields ?? []).map((f) => (f.time ? new Date(f.time).getTime() : 0));
  return Math.max(0, ...times);
}

async function waitUsable(api: ApiextensionsV1Api, name: string): Promise<void> {
  const crd = await eventually(
    `CRD ${name} to be Established with its names accepted`,
    async () => {
      const current = await api.readCustomResourceDefinition({ name });
      return conditionTrue(current, 'Established') && conditionTrue(current, 'NamesAccepted')
        ? current
        : false;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  const wait = lastWrite(crd) + settleMs - Date.now();
  if (wait > 0) await sleep(wait);
}

async function install(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = await loadCrds();
  await Promise.all(crds.map((crd) => apply(api, crd)));
  await Promise.all(crds.map((crd) => waitUsable(api, crd.metadata?.name ?? '')));
}

const installs = new Map<string, Promise<void>>();

/**
 * Server-side applies every crds/*.yaml (field manager svo-tests, forced) and
 * resolves once each CRD is Established, its names accepted and its latest
 * schema in effect. Called again in the same process for the same cluster, it
 * returns the first call's promise; a failed install is retried by the next call.
 */
export function ensureCrds(kc: KubeConfig): Promise<void> {
  const key = kc.getCurrentCluster()?.server ?? '';
  let pending = installs.get(key);
  if (pending === undefined) {
    pending = install(kc);
    installs.set(key, pending);
    pending.catch(() => installs.delete(key));
  }
  return pending;
}
