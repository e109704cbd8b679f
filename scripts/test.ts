// The one test command: unit tests, then the integration, e2e and chaos tiers
// against a real local cluster that this script starts once for the whole run
// and always stops again. Prints one closing line with the totals.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { down, up } from '../test/cluster/cluster.js';
import { repoRoot } from '../test/cluster/layout.js';
import type { RunState } from '../test/cluster/processes.js';
import { describeForbidden, recordedStarts, refusalsInRun } from '../test/support/audit.js';
import { installIdentities } from '../test/support/identity.js';

type Tier = 'unit' | 'integration' | 'e2e' | 'chaos';
const clusterTiers: readonly Tier[] = ['integration', 'e2e', 'chaos'];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

function testFiles(dir: string): string[] {
  const root = join(repoRoot, 'test', dir);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.test.ts')) out.push(relative(repoRoot, p));
    }
  };
  try {
    walk(root);
  } catch {
    return [];
  }
  return out.sort();
}

function parseTap(path: string): Counts {
  const text = readFileSync(path, 'utf8');
  const num = (key: string): number => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    passed: num('pass'),
    failed: num('fail') + num('cancelled'),
    skipped: num('skipped') + num('todo'),
  };
}

async function runNodeTest(files: string[], concurrency: number, env: NodeJS.ProcessEnv): Promise<Counts> {
  if (files.length === 0) return { passed: 0, failed: 0, skipped: 0 };
  const tap = join(mkdtempSync(join(tmpdir(), 'svo-test-')), 'results.tap');
  const args = [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: 'inherit' });
    child.on('exit', (c) => {
      resolve(c ?? 1);
    });
  });
  const counts = parseTap(tap);
  // A crash before the reporter wrote its summary must not read as success.
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

function add(a: Counts, b: Counts): Counts {
  return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: a.skipped + b.skipped };
}

/**
 * The operator's shipped RBAC (config/rbac) and the runtime fixture's, applied
 * once before the tiers; the test support applies them again, idempotently,
 * if a file runs on its own.
 */
async function installRbac(kubeconfig: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  await installIdentities(kc);
}

async function withCluster<T>(fn: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const external = process.env.SVO_KUBECONFIG;
  if (external !== undefined && external !== '') {
    console.log(`using the existing cluster at ${external}`);
    await installRbac(external);
    return fn({ ...process.env });
  }
  let state: RunState | undefined;
  const stop = async (): Promise<void> => {
    if (state !== undefined) await down(state.runDir);
    state = undefined;
  };
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    state = await up({
      name: `test-${process.pid}`,
      owner: process.pid,
      timings: 'fast',
      storage: true,
      log: (l) => {
        console.log(`[cluster] ${l}`);
      },
    });
    await installRbac(state.kubeconfig);
    return await fn({ ...process.env, SVO_KUBECONFIG: state.kubeconfig, SVO_CLUSTER_RUN: state.runDir });
  } finally {
    await stop();
  }
}

function tiersFor(arg: string | undefined): Tier[] {
  switch (arg) {
    case undefined:
    case 'all':
      return ['unit', 'integration', 'e2e', 'chaos'];
    case 'unit':
    case 'integration':
    case 'e2e':
    case 'chaos':
      return [arg];
    default:
      throw new Error(`unknown tier "${arg}": use unit, integration, e2e, chaos or all`);
  }
}

/**
 * The tier's closing check: any request of an operator (or fixture) the tier
 * started that the API server refused with 403 fails the run, naming what was
 * refused and the test that started the process. Only a cluster this run can
 * read the audit log of is checked.
 */
async function forbiddenCheck(tier: Tier | 'audit', env: NodeJS.ProcessEnv, since: Date): Promise<Counts> {
  const runDir = env.SVO_CLUSTER_RUN;
  if (runDir === undefined || runDir === '') {
    console.log(
      `\naudit check (${tier}): skipped, SVO_CLUSTER_RUN is unset so the audit log is not ours to read`,
    );
    return { passed: 0, failed: 0, skipped: 1 };
  }
  const starts = recordedStarts(runDir).filter((s) => new Date(s.at) >= since).length;
  const { counted: refused, excused } = await refusalsInRun(runDir, since);
  if (excused.length > 0)
    console.log(
      `\naudit check (${tier}): ${String(excused.length)} requests refused while the API server restarted ` +
        'and allowed to the same identity once it was ready (its authorizer had not loaded RBAC yet); not counted:\n' +
        [...new Set(excused.map(describeForbidden))].map((l) => `  ${l}`).join('\n'),
    );
  if (refused.length === 0) {
    console.log(
      `\naudit check (${tier}): no request refused to the ${String(starts)} operator starts of this tier`,
    );
    return { passed: 1, failed: 0, skipped: 0 };
  }
  const lines = new Map<string, number>();
  for (const f of refused) {
    const line = describeForbidden(f);
    lines.set(line, (lines.get(line) ?? 0) + 1);
  }
  console.error(
    `\nFAILED audit check (${tier}): ${String(refused.length)} requests refused (403) to an operator this tier started; ` +
      'the rules of the identity it ran as lack what the code does:',
  );
  for (const [line, n] of lines) console.error(`  ${line}${n > 1 ? ` (×${String(n)})` : ''}`);
  return { passed: 0, failed: 1, skipped: 0 };
}

async function runClusterTiers(tiers: Tier[], env: NodeJS.ProcessEnv): Promise<Counts> {
  let total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const tier of tiers) {
    const since = new Date();
    const files = testFiles(tier);
    // Tests that restart the API server or kill nodes would disturb their
    // neighbours; they run alone, after the rest.
    const calm = files.filter((f) => !f.endsWith('.disruptive.test.ts'));
    const disruptive = files.filter((f) => f.endsWith('.disruptive.test.ts'));
    console.log(`\n=== ${tier}: ${files.length} files`);
    total = add(total, await runNodeTest(calm, 4, env));
    total = add(total, await runNodeTest(disruptive, 1, env));
    total = add(total, await forbiddenCheck(tier, env, since));
  }
  return total;
}

async function main(): Promise<number> {
  // `npx tsx scripts/test.ts audit`: the closing check alone, over everything SVO_CLUSTER_RUN's audit log holds.
  if (process.argv[2] === 'audit')
    return (await forbiddenCheck('audit', { ...process.env }, new Date(0))).failed;
  const tiers = tiersFor(process.argv[2]);
  let total: Counts = { passed: 0, failed: 0, skipped: 0 };
  if (tiers.includes('unit')) {
    console.log('\n=== unit');
    total = add(total, await runNodeTest(testFiles('unit'), 2, { ...process.env }));
  }
  const needCluster = tiers.filter((t) => clusterTiers.includes(t));
  if (needCluster.length > 0) {
    try {
      total = add(total, await withCluster((env) => runClusterTiers(needCluster, env)));
    } catch (err) {
      // Never a silent skip: a cluster that cannot start fails the run.
      console.error(
        `\nFAILED to run the cluster tiers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
      total.failed += 1;
    }
  }
  console.log(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total.failed > 0 || total.passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
