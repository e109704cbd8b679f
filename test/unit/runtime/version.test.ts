// The version comes from package.json, wherever the code runs from, and
// --version prints it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, usage } from '../../../src/config.js';
import { userAgent } from '../../../src/operator.js';
import { buildRevision, packageName, readVersion, version, versionLine } from '../../../src/version.js';
import { repoRoot } from '../../cluster/layout.js';

const pkg = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

test('the version is package.json version, and the user agent carries it', () => {
  assert.equal(version, pkg.version);
  assert.equal(versionLine, `stateful-volume-operator ${pkg.version}\n`);
  assert.equal(userAgent, `stateful-volume-operator/${pkg.version}`);
});

test('--version prints the name and version; --help still wins', () => {
  assert.deepEqual(parseConfig(['--version'], {}), { help: true, output: versionLine });
  assert.deepEqual(parseConfig(['--help', '--version'], {}), { help: true, output: usage });
  assert.match(usage, /--version/);
});

test('--version needs no valid configuration to answer', () => {
  assert.deepEqual(parseConfig(['--version', '--concurrency=nope'], {}), { help: true, output: versionLine });
});

async function tree(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'svo-version-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return root;
}

test('from dist/src, the package.json two levels up is found, a dependency on the way is skipped', async (t) => {
  const root = await tree(t);
  const here = join(root, 'dist', 'src');
  await mkdir(here, { recursive: true });
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: packageName, version: '9.8.7' }));
  await writeFile(join(root, 'dist', 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
  assert.equal(readVersion(here), '9.8.7');
});

test('no package.json of the operator above: an error, not a made-up version', async (t) => {
  const root = await tree(t);
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
  assert.throws(() => readVersion(root), /no package.json of stateful-volume-operator/);
});

test('a package.json of the operator without a version is an error', async (t) => {
  const root = await tree(t);
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: packageName }));
  assert.throws(() => readVersion(root), /has no version/);
});

test('the revision comes from SVO_REVISION, "unknown" without it', () => {
  assert.equal(buildRevision({ SVO_REVISION: 'abc123' }), 'abc123');
  assert.equal(buildRevision({ SVO_REVISION: ' ' }), 'unknown');
  assert.equal(buildRevision({}), 'unknown');
});
