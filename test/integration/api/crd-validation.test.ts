// The CRDs against a real kube-apiserver: every object of the invalid corpus
// is rejected with an error naming its field, the samples are accepted and
// defaulted, update rules (no shrinking, immutable fields) hold, and the
// printer columns, field selectors and descriptions are served as generated.
import { before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { ApiException, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { load, loadAll } from 'js-yaml';
import type { FailoverGroup, StatefulVolume, VolumeBackupPolicy } from '../../../src/api/v1alpha1/index.js';
import { group, kinds, version } from '../../../src/api/v1alpha1/kinds.js';
import type { KindDefinition, Schema } from '../../../src/api/v1alpha1/schema.js';
import { ensureCrds } from '../../support/crds.js';
import { createTestNamespace, loadTestKubeConfig } from '../../support/kube.js';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface Status {
  code: number;
  reason: string;
  message: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

const root = join(import.meta.dirname, '..', '..', '..');
const invalidDir = join(import.meta.dirname, 'invalid');
const samplesDir = join(root, 'config', 'samples');
const kc = loadTestKubeConfig();
const api = kc.makeApiClient(CustomObjectsApi);

function kindOf(name: string): KindDefinition {
  const kind = kinds.find((k) => k.kind === name);
  assert.ok(kind, `unknown kind ${name}`);
  return kind;
}

async function create(namespace: string, obj: Obj, dryRun?: 'All'): Promise<Obj> {
  return (await api.createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: kindOf(obj.kind).plural,
    body: obj,
    dryRun,
    // What kubectl sends: unknown fields are errors, not silently dropped.
    fieldValidation: 'Strict',
  })) as Obj;
}

async function get<T extends { kind: string } = Obj>(
  namespace: string,
  kind: T['kind'],
  name: string,
): Promise<T> {
  return (await api.getNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: kindOf(kind).plural,
    name,
  })) as T;
}

async function mergePatch(namespace: string, obj: Obj, patch: object): Promise<Obj> {
  return (await api.patchNamespacedCustomObject(
    { group, version, namespace, plural: kindOf(obj.kind).plural, name: obj.metadata.name, body: patch },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as Obj;
}

/** The Status the API server answered a failed request with. */
async function rejection(call: Promise<unknown>): Promise<Status> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return body as Status;
  }
  assert.fail('the API server accepted the object');
}

function describeStatus(status: Status): string {
  const causes = (status.details?.causes ?? []).map((c) => `  ${c.field ?? '<none>'}: ${c.message ?? ''}`);
  return [`${status.code} ${status.reason}: ${status.message}`, ...causes].join('\n');
}

async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
}

before(async () => {
  await ensureCrds(kc);
});

test('every object of the invalid corpus is rejected with an error that names its field', async (t) => {
  const namespace = await createTestNamespace(t, 'api-invalid');
  const files = await yamlFiles(invalidDir);
  assert.ok(files.length >= 30, `the corpus has ${files.length} objects, want at least 30`);
  const covered = new Set<string>();
  for (const file of files) {
    const obj = load(await readFile(join(invalidDir, file), 'utf8')) as Obj;
    covered.add(obj.kind);
    const annotations = obj.metadata.annotations ?? {};
    const field = annotations['test.stateful.dev/expect-field'];
    const message = annotations['test.stateful.dev/expect-message'];
    const code = Number(annotations['test.stateful.dev/expect-code'] ?? '422');
    await t.test(file, async () => {
      assert.ok(
        field !== undefined && message !== undefined,
        `${file} lacks its expect-field or expect-message`,
      );
      const status = await rejection(create(namespace, obj, 'All'));
      const detail = describeStatus(status);
      assert.equal(status.code, code, detail);
      assert.ok(status.message.includes(field), `the message does not name ${field}:\n${detail}`);
      assert.ok(status.message.includes(message), `the message does not say "${message}":\n${detail}`);
      if (code !== 422) return;
      assert.equal(status.reason, 'Invalid', detail);
      const cause = status.details?.causes?.find((c) => c.field === field);
      assert.ok(cause?.message?.includes(message), `no cause on ${field} saying "${message}":\n${detail}`);
    });
  }
  assert.deepEqual([...covered].sort(), kinds.map((k) => k.kind).sort(), 'the corpus covers every kind');
});

async function createSamples(t: TestContext): Promise<{ namespace: string; samples: Obj[] }> {
  const namespace = await createTestNamespace(t, 'api-samples');
  const samples: Obj[] = [];
  for (const file of await yamlFiles(samplesDir)) {
    for (const doc of loadAll(await readFile(join(samplesDir, file), 'utf8'))) {
      const obj = doc as Obj;
      // The workload the samples protect is applied, and run, by the operator-as-ServiceAccount test.
      if (!obj.apiVersion.startsWith(`${group}/`)) continue;
      try {
        samples.push(await create(namespace, obj));
      } catch (err) {
        const detail = err instanceof ApiException ? String(err.body) : String(err);
        assert.fail(`sample ${file} (${obj.kind} ${obj.metadata.name}) was rejected: ${detail}`);
      }
    }
  }
  return { namespace, samples };
}

test('the samples in config/samples are accepted, and the API server fills in the defaults', async (t) => {
  const { namespace, samples } = await createSamples(t);
  assert.deepEqual(
    [...new Set(samples.map((s) => s.kind))].sort(),
    kinds.map((k) => k.kind).sort(),
    'there is a sample of every kind',
  );

  const restore = await get<StatefulVolume>(namespace, 'StatefulVolume', 'postgres-data-rehearsal');
  assert.deepEqual(restore.spec.accessModes, ['ReadWriteOnce']);
  assert.equal(restore.spec.volumeMode, 'Filesystem');
  assert.deepEqual(restore.spec.placement, { replicas: 1, topologyKey: 'topology.kubernetes.io/zone' });
  assert.equal(
    restore.spec.claimName,
    undefined,
    'claimName is defaulted by the operator, not the API server',
  );

  const policy = await get<VolumeBackupPolicy>(namespace, 'VolumeBackupPolicy', 'postgres-nightly');
  assert.equal(policy.spec.suspend, false);
  assert.deepEqual(policy.spec.retention, {
    keepDaily: 7,
    keepWeekly: 4,
    keepMonthly: 12,
    keepYearly: 3,
    keepFailed: 2,
  });

  const failover = await get<FailoverGroup>(namespace, 'FailoverGroup', 'postgres');
  assert.equal(failover.spec.failback, 'Manual');
  assert.deepEqual(failover.spec.nodeFailure, { detectionSeconds: 15, action: 'Fence' });
});

test('a policy without retention keeps the newest 7 backups and 3 failed ones', async (t) => {
  const namespace = await createTestNamespace(t, 'api-defaults');
  const created = await create(namespace, {
    apiVersion: `${group}/${version}`,
    kind: 'VolumeBackupPolicy',
    metadata: { name: 'hourly' },
    spec: { schedule: '@hourly', volumes: ['db'] },
  });
  const policy = await get<VolumeBackupPolicy>(namespace, 'VolumeBackupPolicy', created.metadata.name);
  assert.deepEqual(policy.spec.retention, { keepLast: 7, keepFailed: 3 });
  assert.equal(policy.spec.timeZone, 'UTC');
  assert.equal(policy.spec.backupDeadlineSeconds, 3600);
});

interface UpdateCase {
  readonly name: string;
  readonly object: Obj;
  readonly patch: object;
  /** undefined: the update is accepted. */
  readonly rejected?: { readonly field: string; readonly message: string };
}

const volume = (name: string, spec: Record<string, unknown>): Obj => ({
  apiVersion: `${group}/${version}`,
  kind: 'StatefulVolume',
  metadata: { name },
  spec,
});

const updateCases: readonly UpdateCase[] = [
  {
    name: 'a volume may grow',
    object: volume('grow', { size: '10Gi' }),
    patch: { spec: { size: '20Gi' } },
  },
  {
    name: 'a size written in other units but equal is not a shrink',
    object: volume('same-size', { size: '1Gi' }),
    patch: { spec: { size: '1024Mi' } },
  },
  {
    name: 'a volume never shrinks',
    object: volume('shrink', { size: '20Gi' }),
    patch: { spec: { size: '10Gi' } },
    rejected: { field: 'spec.size', message: 'may grow but never shrink: it is 20Gi' },
  },
  {
    name: 'a volume never shrinks, even by a byte written in decimal units',
    object: volume('shrink-decimal', { size: '1Gi' }),
    patch: { spec: { size: '1073741823' } },
    rejected: { field: 'spec.size', message: 'never shrink' },
  },
  {
    name: 'the storage class cannot change',
    object: volume('class', { size: '1Gi', storageClassName: 'fast' }),
    patch: { spec: { storageClassName: 'slow' } },
    rejected: { field: 'spec.storageClassName', message: 'storageClassName is immutable' },
  },
  {
    name: 'a storage class cannot be added later',
    object: volume('class-added', { size: '1Gi' }),
    patch: { spec: { storageClassName: 'fast' } },
    rejected: { field: 'spec.storageClassName', message: 'storageClassName is immutable' },
  },
  {
    name: 'the claim name cannot change',
    object: volume('claim', { size: '1Gi', claimName: 'data-db-0' }),
    patch: { spec: { claimName: 'data-db-1' } },
    rejected: { field: 'spec.claimName', message: 'claimName is immutable' },
  },
  {
    name: 'the volume mode cannot change',
    object: volume('mode', { size: '1Gi' }),
    patch: { spec: { volumeMode: 'Block' } },
    rejected: { field: 'spec.volumeMode', message: 'volumeMode is immutable' },
  },
  {
    name: 'the source cannot be removed',
    object: volume('source', { size: '1Gi', source: { volumeBackupName: 'nightly' } }),
    patch: { spec: { source: null } },
    rejected: { field: 'spec.source', message: 'source is immutable' },
  },
  {
    name: 'the topology key cannot change',
    object: volume('topology', { size: '1Gi' }),
    patch: { spec: { placement: { topologyKey: 'example.com/rack' } } },
    rejected: { field: 'spec.placement.topologyKey', message: 'topologyKey is immutable' },
  },
  {
    name: 'replicas and zones may change together, and the reclaim policy may change',
    object: volume('scale', { size: '1Gi', placement: { replicas: 1, zones: ['zone-a'] } }),
    patch: { spec: { reclaimPolicy: 'Delete', placement: { replicas: 2, zones: ['zone-a', 'zone-b'] } } },
  },
  {
    name: 'a backup cannot be pointed at another volume',
    object: {
      apiVersion: `${group}/${version}`,
      kind: 'VolumeBackup',
      metadata: { name: 'backup' },
      spec: { volumeName: 'db' },
    },
    patch: { spec: { volumeName: 'other' } },
    rejected: { field: 'spec', message: 'spec is immutable' },
  },
];

test('an empty zone list means any zone, so it does not limit the replicas', async (t) => {
  const namespace = await createTestNamespace(t, 'api-zones');
  await create(namespace, volume('any-zone', { size: '1Gi', placement: { replicas: 3, zones: [] } }));
});

test('updates: sizes only grow and immutable fields stay as created', async (t) => {
  const namespace = await createTestNamespace(t, 'api-updates');
  for (const c of updateCases) {
    await t.test(c.name, async () => {
      const created = await create(namespace, c.object);
      const update = mergePatch(namespace, created, c.patch);
      if (c.rejected === undefined) {
        await update;
        return;
      }
      const status = await rejection(update);
      const detail = describeStatus(status);
      assert.equal(status.code, 422, detail);
      const cause = status.details?.causes?.find((x) => x.field === c.rejected?.field);
      assert.ok(cause?.message?.includes(c.rejected.message), detail);
    });
  }
});

/** A GET through the test kubeconfig's credentials, for endpoints the typed clients do not cover. */
async function getJson(path: string, accept = 'application/json'): Promise<unknown> {
  const server = kc.getCurrentCluster()?.server ?? '';
  const options: RequestOptions = { method: 'GET', headers: { Accept: accept } };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server), options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode ?? 0} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

interface Table {
  columnDefinitions: { name: string; type: string; priority: number }[];
  rows: { cells: unknown[] }[];
}

test('kubectl get shows the generated printer columns', async (t) => {
  const { namespace } = await createSamples(t);
  const policy = await get(namespace, 'VolumeBackupPolicy', 'postgres-nightly');
  const next = new Date(Date.now() + 5 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  await api.patchNamespacedCustomObjectStatus(
    {
      group,
      version,
      namespace,
      plural: 'volumebackuppolicies',
      name: policy.metadata.name,
      body: { status: { nextScheduleTime: next } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  for (const kind of kinds) {
    const table = (await getJson(
      `/apis/${group}/${version}/namespaces/${namespace}/${kind.plural}`,
      'application/json;as=Table;v=v1;g=meta.k8s.io',
    )) as Table;
    assert.deepEqual(
      table.columnDefinitions.map((c) => c.name),
      ['Name', ...kind.printerColumns.map((c) => c.name)],
      kind.kind,
    );
    if (kind.kind !== 'VolumeBackupPolicy') continue;
    const nextColumn = table.columnDefinitions.findIndex((c) => c.name === 'Next');
    assert.equal(
      table.rows[0]?.cells[nextColumn],
      next,
      'the next run is shown as a time, not as "<invalid>"',
    );
  }
});

test('VolumeBackups can be listed by volume and by policy with field selectors', async (t) => {
  const namespace = await createTestNamespace(t, 'api-fields');
  const backup = (name: string, spec: Record<string, unknown>): Obj => ({
    apiVersion: `${group}/${version}`,
    kind: 'VolumeBackup',
    metadata: { name },
    spec,
  });
  await create(namespace, backup('a-1', { volumeName: 'a', policyName: 'nightly' }));
  await create(namespace, backup('a-2', { volumeName: 'a' }));
  await create(namespace, backup('b-1', { volumeName: 'b', policyName: 'nightly' }));
  const names = async (fieldSelector: string): Promise<string[]> => {
    const list = (await api.listNamespacedCustomObject({
      group,
      version,
      namespace,
      plural: 'volumebackups',
      fieldSelector,
    })) as { items: Obj[] };
    return list.items.map((i) => i.metadata.name).sort();
  };
  assert.deepEqual(await names('spec.volumeName=a'), ['a-1', 'a-2']);
  assert.deepEqual(await names('spec.policyName=nightly'), ['a-1', 'b-1']);
});

interface OpenApiSchema {
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
}

/** Paths of our schema whose description is missing from the published one. */
function missingDescriptions(ours: Schema, published: OpenApiSchema | undefined, path: string): string[] {
  if (published?.description === undefined || published.description === '') return [path];
  if (ours.type === 'array') return missingDescriptions(ours.items, published.items, `${path}[]`);
  if (ours.type !== 'object') return [];
  return Object.entries(ours.properties).flatMap(([name, child]) =>
    missingDescriptions(child, published.properties?.[name], `${path}.${name}`),
  );
}

test('the OpenAPI v3 document publishes a description for every field, as kubectl explain shows them', async () => {
  const doc = (await getJson(`/openapi/v3/apis/${group}/${version}`)) as {
    components: { schemas: Record<string, OpenApiSchema> };
  };
  const reversedGroup = group.split('.').reverse().join('.');
  for (const kind of kinds) {
    const published = doc.components.schemas[`${reversedGroup}.${version}.${kind.kind}`];
    assert.ok(published, `${kind.kind} is not in the OpenAPI document`);
    const missing = [
      ...missingDescriptions(kind.spec, published.properties?.spec, 'spec'),
      ...missingDescriptions(kind.status, published.properties?.status, 'status'),
    ];
    assert.deepEqual(missing, [], `${kind.kind} fields without a published description`);
  }
  const placement =
    doc.components.schemas[`${reversedGroup}.${version}.StatefulVolume`]?.properties?.spec?.properties
      ?.placement;
  assert.match(placement?.description ?? '', /primary/);
});

test('every example in README.md is accepted by the API server as written', async (t) => {
  const namespace = await createTestNamespace(t, 'api-readme');
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const objects = blocks
    .flatMap((b) => loadAll(b) as Obj[])
    .filter((o) => o.apiVersion.startsWith(`${group}/`));
  assert.ok(objects.length >= 4, `README.md has ${String(objects.length)} examples of the operator's kinds`);
  for (const obj of objects) {
    try {
      // The examples name a namespace of their own; the test's namespace stands in for it.
      await create(namespace, { ...obj, metadata: { ...obj.metadata, namespace } } as Obj, 'All');
    } catch (err) {
      const detail = err instanceof ApiException ? String(err.body) : String(err);
      assert.fail(`README example ${obj.kind} ${obj.metadata.name} was rejected: ${detail}`);
    }
  }
});
