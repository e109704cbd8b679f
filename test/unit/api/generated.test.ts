// Everything generated from src/api/v1alpha1 is checked in; this proves it is
// current, and says how to make it so when it is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatedFiles, regenerateCommand, repoRoot } from '../../../scripts/codegen/outputs.js';

test('the generated CRDs, types and API reference match the schema source', async () => {
  const stale: string[] = [];
  for (const [path, content] of await generatedFiles()) {
    const onDisk = await readFile(join(repoRoot, path), 'utf8').catch(() => undefined);
    if (onDisk !== content) stale.push(path);
  }
  assert.deepEqual(
    stale,
    [],
    `generated files are out of date with src/api/v1alpha1; run \`${regenerateCommand}\` and commit the result`,
  );
});
