// `npm run dev`: the one-command local try. Starts (or reuses) the local
// cluster, installs the CRDs and the samples, and runs the operator against it
// with readable logs until Ctrl-C, as its shipped ServiceAccount (config/rbac),
// so what a real install would refuse is refused here too.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries } from '../test/cluster/build.js';
import { up } from '../test/cluster/cluster.js';
import { repoRoot, runsDir } from '../test/cluster/layout.js';
import { isOurs, readState, type RunState } from '../test/cluster/processes.js';
import { mintIdentity } from '../test/support/identity.js';

const name = 'dev';

async function cluster(): Promise<RunState> {
  const dir = join(runsDir(), name);
  if (existsSync(join(dir, 'state.json'))) {
    const state = readState(dir);
    if (Object.values(state.components).every(isOurs)) {
      console.log(`reusing the running cluster "${name}"`);
      return state;
    }
  }
  return up({ name, storage: true });
}

function kubectl(bin: string, kubeconfig: string, args: string[]): void {
  execFileSync(bin, [`--kubeconfig=${kubeconfig}`, ...args], { stdio: 'inherit' });
}

async function main(): Promise<void> {
  const state = await cluster();
  const { paths } = await ensureBinaries();
  kubectl(paths.kubectl, state.kubeconfig, [
    'apply',
    '--server-side',
    '--field-manager=svo-dev',
    '-f',
    join(repoRoot, 'crds'),
  ]);
  kubectl(paths.kubectl, state.kubeconfig, [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    '-f',
    join(repoRoot, 'crds'),
  ]);
  kubectl(paths.kubectl, state.kubeconfig, ['apply', '-k', join(repoRoot, 'config', 'samples')]);
  console.log(
    `\nThe operator is starting. In another shell:\n  export KUBECONFIG=${state.kubeconfig}\n` +
      `  ${paths.kubectl} get stateful\nCtrl-C stops the operator; npm run cluster:down stops the cluster.\n`,
  );
  const admin = new KubeConfig();
  admin.loadFromFile(state.kubeconfig);
  const identity = await mintIdentity(admin, 'operator', { runDir: state.runDir });
  const operator = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src', 'main.ts'),
      `--kubeconfig=${identity.kubeconfigPath}`,
      '--leader-elect=false',
      // Plain HTTP on loopback, so `curl localhost:8080/metrics` works without a token.
      '--metrics-secure=false',
      '--metrics-bind-address=127.0.0.1:8080',
      '--health-probe-bind-address=127.0.0.1:8081',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SVO_LOG_LEVEL: process.env.SVO_LOG_LEVEL ?? 'info' },
    },
  );
  const pretty = spawn(process.execPath, [join(repoRoot, 'node_modules', 'pino-pretty', 'bin.js')], {
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  operator.stdout.pipe(pretty.stdin);
  const stop = (): void => {
    operator.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise<void>((resolve) => {
    operator.on('exit', (code) => {
      process.exitCode = code ?? 0;
      resolve();
    });
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
