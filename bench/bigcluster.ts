// What the operator costs in a cluster much bigger than what it manages:
// N KWOK nodes with realistic status (conditions, about 30 images, capacity,
// allocatable, nodeInfo) and M Running pods in many namespaces the operator
// does not manage (several containers, env, resources, a projected
// service-account volume, an owner), beside a small managed set (StatefulVolumes
// waiting on a class that does not exist, one FailoverGroup). The previous
// design (a git revision, checked out into a temporary worktree) and this one
// are started one after the other on the same cluster, at each size, and
// measured alike: start to /readyz, peak RSS, RSS and heap at rest, CPU
// seconds and API requests per minute at rest, and what the new one says it
// caches.
//
//   npx tsx bench/bigcluster.ts [--nodes 500] [--pods 5000,10000] [--namespaces 100]
//     [--rev <git revision>] [--rest 60] [--volumes 20] [--no-compiled] [--write-doc]
//
// --pods takes one size or several, growing: pods are added between sizes,
// and the slope (MiB per 10,000 unrelated pods) is read from the first and the
// last. --rev defaults to the merge-base of HEAD and main. Starts its own
// cluster at Kubernetes' default timings unless SVO_CLUSTER_RUN names one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { failoverGroupType, statefulVolumeType } from '../src/controllers/kinds.js';
import { KubeClient } from '../src/kube/client.js';
import { ApiError, isAlreadyExists, isTransient } from '../src/kube/errors.js';
import { coreTypes } from '../src/kube/resource.js';
import type { KubeObject } from '../src/kube/wire.js';
import { kwokControllerLabel } from '../test/cluster/components.js';
import { down, up, zones } from '../test/cluster/cluster.js';
import { repoRoot } from '../test/cluster/layout.js';
import { readState, type RunState } from '../test/cluster/processes.js';
import { ensureCrds } from '../test/support/crds.js';
import { echoProblems, startOperator, stopOperator, waitReady } from '../test/support/operator-process.js';
import { machine, pool, rssMiB, table, until } from './lib.js';

interface Options {
  nodes: number;
  pods: number[];
  namespaces: number;
  rev: string;
  restSeconds: number;
  volumes: number;
  compiled: boolean;
  writeDoc: boolean;
}

interface Measure {
  design: 'previous' | 'new';
  nodes: number;
  pods: number;
  readySeconds: number;
  peakRssMiB: number;
  restRssMiB: number;
  heapUsedMiB: number;
  cpuSecondsPerMinute: number;
  requestsPerMinute: number;
  watchEventsPerMinute?: number;
  cached?: Record<string, number>;
}

const managedNs = 'bench-managed';
const zoneLabel = 'topology.kubernetes.io/zone';

/** Retries what a busy API server refused or dropped (the machine is shared); anything else throws. */
async function retried<T>(what: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      // A socket reset or abort arrives as a plain Error, without a code: worth another try too.
      const dropped = !(err instanceof ApiError);
      if (attempt >= 30 || !(dropped || isTransient(err))) throw err;
      await sleep(Math.min(10_000, 250 * attempt));
    }
  }
}

// ---- the cluster's contents --------------------------------------------------

function image(i: number): { names: string[]; sizeBytes: number } {
  const repo = `registry.example.com/team-${String(i % 7)}/service-${String(i)}`;
  return {
    names: [`${repo}@sha256:${String(i).padStart(64, 'a')}`, `${repo}:v1.${String(i)}.0`],
    sizeBytes: 50_000_000 + i * 1_000_003,
  };
}

function nodeOf(i: number): KubeObject & { spec: unknown; status: unknown } {
  const zone = zones[i % zones.length] ?? 'zone-a';
  const name = `big-${zone}-${String(i)}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        [zoneLabel]: zone,
        'topology.kubernetes.io/region': 'local',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.4xlarge',
        type: 'kwok',
        [kwokControllerLabel]: zone,
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { providerID: `kwok://${name}` },
    status: {
      capacity: { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' },
      allocatable: { cpu: '15800m', memory: '62Gi', pods: '110', 'ephemeral-storage': '190Gi' },
      nodeInfo: {
        architecture: 'amd64',
        bootID: `boot-${name}`,
        containerRuntimeVersion: 'containerd://1.7.22',
        kernelVersion: '6.1.0-27-cloud-amd64',
        kubeProxyVersion: 'v1.33.0',
        kubeletVersion: 'v1.33.0',
        machineID: `machine-${name}`,
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: `uuid-${name}`,
      },
      images: Array.from({ length: 30 }, (_, k) => image(i + k)),
    },
  };
}

function podOf(
  ns: string,
  i: number,
  node: string,
  owner: { name: string; uid: string },
): KubeObject & { spec: unknown } {
  const env = Array.from({ length: 8 }, (_, k) => ({
    name: `SETTING_${String(k)}`,
    value: `value-${String(k)}`,
  }));
  const container = (name: string, img: string): Record<string, unknown> => ({
    name,
    image: img,
    env,
    ports: [{ containerPort: 8080, name: 'http' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    volumeMounts: [
      { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `app-${String(i)}`,
      namespace: ns,
      labels: { app: 'app', 'pod-template-hash': '5d8f7c9b6', tier: 'backend' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.name, uid: owner.uid }],
    },
    spec: {
      nodeName: node,
      automountServiceAccountToken: false,
      containers: [
        container('app', 'registry.example.com/app:1.2.3'),
        container('sidecar', 'registry.example.com/proxy:2.0'),
      ],
      initContainers: [{ name: 'init', image: 'registry.example.com/init:1', command: ['sh', '-c', 'true'] }],
      volumes: [
        {
          name: 'kube-api-access',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }],
                },
              },
            ],
          },
        },
      ],
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
  };
}

async function createNodes(client: KubeClient, count: number): Promise<string[]> {
  const nodes = Array.from({ length: count }, (_, i) => nodeOf(i));
  await pool(nodes, 16, (n) => retried(() => client.create(coreTypes.node, n)).catch(ignoreExists));
  return nodes.map((n) => n.metadata.name ?? '');
}

/** A rerun on the same cluster finds what the last one made. */
function ignoreExists(err: unknown): void {
  if (!isAlreadyExists(err)) throw err;
}

async function ensureNamespaces(
  client: KubeClient,
  count: number,
): Promise<{ ns: string; owner: { name: string; uid: string } }[]> {
  const out: { ns: string; owner: { name: string; uid: string } }[] = [];
  await pool([...Array(count).keys()], 16, async (i) => {
    const ns = `bench-other-${String(i)}`;
    await retried(() => client.create(coreTypes.namespace, { metadata: { name: ns } })).catch(ignoreExists);
    const owner = await retried(() =>
      client
        .create<KubeObject>(coreTypes.configMap, { metadata: { name: 'owner', namespace: ns } })
        .catch(() => client.get<KubeObject>(coreTypes.configMap, ns, 'owner')),
    );
    out[i] = { ns, owner: { name: 'owner', uid: owner.metadata.uid ?? '' } };
  });
  return out;
}

/** Adds pods until `total` exist, spread over the namespaces and nodes. */
async function growPods(
  client: KubeClient,
  spaces: { ns: string; owner: { name: string; uid: string } }[],
  nodes: string[],
  from: number,
  total: number,
): Promise<void> {
  const items = Array.from({ length: total - from }, (_, k) => from + k);
  await pool(items, 32, async (i) => {
    const space = spaces[i % spaces.length];
    if (space === undefined) return;
    const pod = podOf(space.ns, i, nodes[i % nodes.length] ?? '', space.owner);
    for (let attempt = 0; ; attempt++) {
      try {
        await client.create(coreTypes.pod, pod);
        return;
      } catch (err) {
        if (isAlreadyExists(err)) return;
        if (attempt > 60) throw err;
        await sleep(500);
      }
    }
  });
}

async function countRunning(client: KubeClient): Promise<number> {
  let running = 0;
  let cont: string | undefined;
  do {
    const from = cont;
    const page = await retried(() =>
      client.list<KubeObject & { status?: { phase?: string } }>(coreTypes.pod, undefined, {
        limit: 2000,
        fieldSelector: 'status.phase=Running',
        ...(from !== undefined ? { continue: from } : {}),
      }),
    );
    running += page.items.filter((p) => p.metadata.namespace?.startsWith('bench-other-')).length;
    cont = page.metadata.continue === '' ? undefined : page.metadata.continue;
  } while (cont !== undefined);
  return running;
}

async function createManaged(client: KubeClient, volumes: number): Promise<void> {
  await client.create(coreTypes.namespace, { metadata: { name: managedNs } }).catch(ignoreExists);
  await pool([...Array(volumes).keys()], 8, (i) =>
    client
      .create(statefulVolumeType, {
        apiVersion: 'storage.stateful.dev/v1alpha1',
        kind: 'StatefulVolume',
        metadata: { name: `v-${String(i)}`, namespace: managedNs, labels: { app: 'db' } },
        spec: { size: '64Mi', storageClassName: 'bench-no-such-class' },
      } as KubeObject)
      .catch(ignoreExists),
  );
  await client
    .create(failoverGroupType, {
      apiVersion: 'storage.stateful.dev/v1alpha1',
      kind: 'FailoverGroup',
      metadata: { name: 'db', namespace: managedNs },
      spec: {
        volumes: { selector: { matchLabels: { app: 'db' } } },
        workload: { kind: 'StatefulSet', name: 'db' },
        zones: [...zones],
        nodeFailure: { detectionSeconds: 15, action: 'Fence' },
      },
    } as KubeObject)
    .catch(ignoreExists);
}

// ---- the two designs ---------------------------------------------------------

/** The previous design's tree, checked out beside this one, sharing node_modules. */
function checkout(rev: string): string {
  const dir = mkdtempSync('/tmp/cache-bench-');
  const tree = join(dir, 'tree');
  execFileSync('git', ['worktree', 'add', '--detach', tree, rev], { cwd: repoRoot, stdio: 'ignore' });
  symlinkSync(join(repoRoot, 'node_modules'), join(tree, 'node_modules'));
  return tree;
}

function removeCheckout(tree: string): void {
  execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: repoRoot, stdio: 'ignore' });
}

function compile(tree: string): void {
  console.log(`compiling ${tree}`);
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: tree,
    stdio: 'inherit',
  });
}

function cpuSeconds(pid: number): number {
  const fields =
    readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]
      ?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${String(port)}/metrics`, {
    signal: AbortSignal.timeout(10_000),
  });
  return res.text();
}

function sum(text: string, name: string, filter = ''): number {
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && line.includes(filter) && !line.startsWith('#')) {
      const head = line.split(' ')[0] ?? '';
      if (head === name || head.startsWith(`${name}{`)) total += Number(line.split(' ').pop());
    }
  return total;
}

function cachedObjects(text: string): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^stateful_volume_operator_cache_objects\{resource="([^"]+)"\} (\d+)/gm))
    out[m[1] ?? ''] = Number(m[2]);
  return Object.keys(out).length > 0 ? out : undefined;
}

async function measure(
  design: Measure['design'],
  tree: string,
  state: RunState,
  opts: Options,
  size: { nodes: number; pods: number },
): Promise<Measure> {
  const entry = relative(repoRoot, join(tree, opts.compiled ? 'dist/src/main.js' : 'src/main.ts'));
  const started = Date.now();
  const operator = await startOperator({
    cluster: state.kubeconfig,
    runDir: state.runDir,
    compiled: opts.compiled,
    entry,
    args: ['--metrics-secure=false'],
    onLine: echoProblems,
  });
  const pid = operator.child.pid ?? -1;
  let peak = 0;
  const sampler = setInterval(() => {
    if (existsSync(`/proc/${String(pid)}/status`)) peak = Math.max(peak, rssMiB(pid).peak);
  }, 1000);
  try {
    await waitReady(operator, 600_000);
    const readySeconds = (Date.now() - started) / 1000;
    console.log(`  ${design}: ready after ${readySeconds.toFixed(1)} s`);
    await sleep(20_000);
    const before = await scrape(operator.metricsPort);
    const cpu0 = cpuSeconds(pid);
    // Heap used right after a collection is what the process holds; the least of samples every 5 s comes close.
    let heapUsed = sum(before, 'nodejs_heap_size_used_bytes');
    for (let t = 0; t < opts.restSeconds; t += 5) {
      await sleep(5_000);
      heapUsed = Math.min(heapUsed, sum(await scrape(operator.metricsPort), 'nodejs_heap_size_used_bytes'));
    }
    const after = await scrape(operator.metricsPort);
    const cpu1 = cpuSeconds(pid);
    const perMinute = 60 / opts.restSeconds;
    const events = (t: string): number => sum(t, 'stateful_volume_operator_watch_events_total');
    const cached = cachedObjects(after);
    const m: Measure = {
      design,
      ...size,
      readySeconds,
      peakRssMiB: Math.max(peak, rssMiB(pid).peak),
      restRssMiB: rssMiB(pid).now,
      heapUsedMiB: Math.min(heapUsed, sum(after, 'nodejs_heap_size_used_bytes')) / 1024 ** 2,
      cpuSecondsPerMinute: (cpu1 - cpu0) * perMinute,
      requestsPerMinute:
        (sum(after, 'rest_client_requests_total') - sum(before, 'rest_client_requests_total')) * perMinute,
      ...(cached !== undefined
        ? { cached, watchEventsPerMinute: (events(after) - events(before)) * perMinute }
        : {}),
    };
    console.log(`  ${design}: ${JSON.stringify(m)}`);
    return m;
  } finally {
    clearInterval(sampler);
    await stopOperator(operator);
  }
}

// ---- report --------------------------------------------------------------------

function row(m: Measure): string {
  const cached =
    m.cached === undefined ? '' : `${String(m.cached.pods ?? 0)} pods, ${String(m.cached.nodes ?? 0)} nodes`;
  return (
    `| ${String(m.nodes)} nodes, ${String(m.pods)} pods | ${m.design} | ${m.readySeconds.toFixed(1)} s | ` +
    `${m.peakRssMiB.toFixed(0)} MiB | ${m.restRssMiB.toFixed(0)} MiB | ${m.heapUsedMiB.toFixed(0)} MiB | ` +
    `${m.cpuSecondsPerMinute.toFixed(2)} | ${m.requestsPerMinute.toFixed(1)} | ${cached} |`
  );
}

function slope(results: Measure[], design: Measure['design']): string {
  const mine = results.filter((r) => r.design === design);
  const [first, last] = [mine[0], mine[mine.length - 1]];
  if (first === undefined || last === undefined || last.pods === first.pods) return 'n/a (one size)';
  const per = (v: number): string => ((v * 10_000) / (last.pods - first.pods)).toFixed(0);
  return `${per(last.restRssMiB - first.restRssMiB)} MiB RSS at rest, ${per(last.heapUsedMiB - first.heapUsedMiB)} MiB heap`;
}

function markdown(
  results: Measure[],
  opts: Options & { timings: string },
  command: string,
  host: ReturnType<typeof machine>,
  sizes: string,
): string {
  const end = host.finish();
  return [
    '',
    `### Big cluster: ${String(opts.nodes)} nodes, unrelated pods (${new Date().toISOString().slice(0, 10)})`,
    '',
    `\`${command}\` (previous design: \`${opts.rev.slice(0, 12)}\`; ${opts.compiled ? 'compiled' : 'tsx'} operator, default flags, whole cluster; ` +
      `${String(opts.volumes)} StatefulVolumes and 1 FailoverGroup managed; ${String(opts.namespaces)} unrelated namespaces; ` +
      `rest window ${String(opts.restSeconds)} s; cluster timings \`${opts.timings}\`). Object sizes as listed: ${sizes}.`,
    '',
    '| cluster | design | start to /readyz | peak RSS | RSS at rest | heap used (least at rest) | CPU-s/min at rest | API requests/min at rest | cached (new) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    `Slope per 10,000 unrelated pods: previous ${slope(results, 'previous')}; new ${slope(results, 'new')}.`,
    `Machine: ${String(end.cpus)} CPUs, ${String(end.memoryGiB)} GiB, Node ${end.node}; load average (1 min) ` +
      `${end.loadavgStart[0]?.toFixed(2) ?? '?'} at start, ${end.loadavgEnd[0]?.toFixed(2) ?? '?'} at end (a shared machine).`,
    '',
  ].join('\n');
}

async function objectSizes(client: KubeClient): Promise<string> {
  const nodes = await client.list(coreTypes.node, undefined, {
    limit: 20,
    labelSelector: 'node.kubernetes.io/instance-type=m6i.4xlarge',
  });
  const pods = await client.list(coreTypes.pod, 'bench-other-0', { limit: 20 });
  const avg = (items: KubeObject[]): string =>
    items.length === 0
      ? '?'
      : `${(items.reduce((s, o) => s + JSON.stringify(o).length, 0) / items.length / 1024).toFixed(1)} KiB`;
  const images =
    (nodes.items[0] as { status?: { images?: unknown[] } } | undefined)?.status?.images?.length ?? 0;
  return `a node ${avg(nodes.items)} of JSON (${String(images)} images), a pod ${avg(pods.items)}`;
}

/** Adds a run's results at the end of the big-cluster section of docs/benchmarks.md. */
function insertIntoDoc(text: string): void {
  const file = join(repoRoot, 'docs/benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const next = doc.indexOf('\n## Not measured yet');
  writeFileSync(file, next < 0 ? doc + text : doc.slice(0, next) + text + doc.slice(next));
}

async function run(state: RunState, opts: Options, command: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  await ensureCrds(kc);
  const client = new KubeClient(kc, { userAgent: 'svo-bench', qps: 1000, burst: 2000 });
  const host = machine();
  const previous = checkout(opts.rev);
  try {
    if (opts.compiled) {
      compile(previous);
      compile(repoRoot);
    }
    console.log(
      `creating ${String(opts.nodes)} nodes, ${String(opts.namespaces)} namespaces, the managed set`,
    );
    const nodes = await createNodes(client, opts.nodes);
    await until(
      'the nodes Ready',
      async () => {
        const list = await retried(() =>
          client.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
            coreTypes.node,
          ),
        );
        return (
          list.items.filter((n) =>
            n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          ).length >= opts.nodes
        );
      },
      600_000,
      5_000,
    );
    const spaces = await ensureNamespaces(client, opts.namespaces);
    await createManaged(client, opts.volumes);
    const results: Measure[] = [];
    let have = 0;
    for (const pods of opts.pods) {
      console.log(`growing to ${String(pods)} unrelated pods`);
      await growPods(client, spaces, nodes, have, pods);
      have = pods;
      await until(
        `${String(pods)} pods Running`,
        async () => (await countRunning(client)) >= pods,
        30 * 60_000,
        10_000,
      );
      const size = { nodes: opts.nodes, pods };
      results.push(await measure('previous', previous, state, opts, size));
      results.push(await measure('new', repoRoot, state, opts, size));
    }
    const text = markdown(
      results,
      { ...opts, timings: state.timings },
      command,
      host,
      await objectSizes(client),
    );
    console.log(text);
    if (opts.writeDoc) insertIntoDoc(text);
  } finally {
    client.close();
    removeCheckout(previous);
  }
}

function mergeBase(): string {
  return execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: repoRoot, encoding: 'utf8' }).trim();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '500' },
      pods: { type: 'string', default: '5000,10000' },
      namespaces: { type: 'string', default: '100' },
      rev: { type: 'string' },
      rest: { type: 'string', default: '60' },
      volumes: { type: 'string', default: '20' },
      'no-compiled': { type: 'boolean', default: false },
      'write-doc': { type: 'boolean', default: false },
    },
  });
  const opts: Options = {
    nodes: Number(values.nodes),
    pods: values.pods.split(',').map(Number),
    namespaces: Number(values.namespaces),
    rev: values.rev ?? mergeBase(),
    restSeconds: Number(values.rest),
    volumes: Number(values.volumes),
    compiled: !values['no-compiled'],
    writeDoc: values['write-doc'],
  };
  const command = `npx tsx bench/bigcluster.ts ${process.argv.slice(2).join(' ')}`.trim();
  const external = process.env.SVO_CLUSTER_RUN;
  const state =
    external !== undefined && external !== ''
      ? readState(external)
      : await up({
          name: `bigcluster-${String(process.pid)}`,
          owner: process.pid,
          timings: 'default',
          storage: true,
        });
  try {
    await run(state, opts, command);
  } finally {
    if (external === undefined || external === '') await down(state.runDir);
  }
  table([['done', new Date().toISOString()]]);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
