// Runs every case of the Argo CD health tests (health_test.yaml beside each
// health.lua, in the layout of Argo CD's resource_customizations) in
// gopher-lua, the engine Argo CD runs them in, with the libraries Argo CD opens
// for a script set in argocd-cm. Status and message must match exactly, as in
// Argo CD's own test of its built-in scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../../cluster/layout.js';
import { evaluateHealth, type Evaluation } from '../../argocd-lua/runner.js';
import { argocdCmPath, healthKey, healthScriptPath } from '../../../scripts/codegen/argocd.js';

const group = 'storage.stateful.dev';
const customizations = join(repoRoot, 'config', 'argocd', 'resource_customizations', group);
const kinds = ['StatefulVolume', 'VolumeBackupPolicy', 'VolumeBackup', 'FailoverGroup'];

interface HealthTest {
  readonly healthStatus: { readonly status: string; readonly message: string };
  readonly inputPath: string;
}

function testsOf(kind: string): HealthTest[] {
  const parsed = load(readFileSync(join(customizations, kind, 'health_test.yaml'), 'utf8')) as {
    tests?: HealthTest[];
  };
  return parsed.tests ?? [];
}

function evaluationOf(kind: string, t: HealthTest): Evaluation {
  const object = load(readFileSync(join(customizations, kind, t.inputPath), 'utf8')) as Record<
    string,
    unknown
  >;
  return { script: join(customizations, kind, 'health.lua'), object };
}

test('every kind of the API has a health script, tests and test data', () => {
  assert.deepEqual(readdirSync(customizations).sort(), [...kinds].sort());
  for (const kind of kinds) {
    const used = new Set(testsOf(kind).map((t) => t.inputPath));
    const files = readdirSync(join(customizations, kind, 'testdata')).map((f) => `testdata/${f}`);
    assert.deepEqual(
      files.filter((f) => !used.has(f)),
      [],
      `${kind}: test data no case reads`,
    );
    assert.ok(existsSync(join(customizations, kind, 'health.lua')));
  }
});

test('the shipped argocd-cm patch holds exactly the scripts these tests run', () => {
  const cm = load(readFileSync(join(repoRoot, argocdCmPath), 'utf8')) as {
    metadata: { name: string };
    data: Record<string, string>;
  };
  assert.equal(cm.metadata.name, 'argocd-cm');
  assert.deepEqual(Object.keys(cm.data).sort(), kinds.map(healthKey).sort());
  for (const kind of kinds) {
    assert.equal(
      cm.data[healthKey(kind)],
      readFileSync(join(repoRoot, healthScriptPath(kind)), 'utf8'),
      kind,
    );
  }
});

for (const kind of kinds) {
  const cases = testsOf(kind);
  // One engine run per kind; each case is then its own test.
  const results = evaluateHealth(cases.map((t) => evaluationOf(kind, t)));
  // Each test awaits the results; this only keeps an early failure from being reported as unhandled.
  results.catch(() => undefined);
  cases.forEach((t, i) => {
    test(`${kind} ${t.inputPath}: ${t.healthStatus.status}`, async () => {
      const got = (await results)[i];
      assert.deepEqual(got, { status: t.healthStatus.status, message: t.healthStatus.message });
    });
  });
}

test('the engine runs scripts without the string library, as Argo CD does for argocd-cm', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-lua-'));
  try {
    const script = join(dir, 'health.lua');
    writeFileSync(script, 'return { status = "Healthy", message = string.upper("x") }');
    const [got] = await evaluateHealth([{ script, object: {} }]);
    assert.match(got?.error ?? '', /string/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the engine reports an unknown status the way Argo CD does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-lua-'));
  try {
    const script = join(dir, 'health.lua');
    writeFileSync(script, 'return { status = "Fine", message = obj.metadata.name }');
    const [got] = await evaluateHealth([{ script, object: { metadata: { name: 'x' } } }]);
    assert.deepEqual(got, { status: 'Unknown', message: 'Lua returned an invalid health status' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
