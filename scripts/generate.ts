// Writes the CRDs, the TypeScript types, the tables of docs/api.md and the
// Events table of README.md from the schema source and the vocabulary in
// src/api/v1alpha1, and the RBAC and chart files
// from src/controllers/permissions.ts (scripts/codegen/rbac.ts). With --check
// it writes nothing, lists the files that differ and exits 1 (for CI and
// pre-commit hooks).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generatedFiles, regenerateCommand, repoRoot } from './codegen/outputs.js';
import { shippingFiles } from './codegen/rbac.js';

async function current(path: string): Promise<string | undefined> {
  try {
    return await readFile(join(repoRoot, path), 'utf8');
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  const generated = await generatedFiles();
  for (const [path, content] of [...generated, ...(await shippingFiles(generated))]) {
    if ((await current(path)) === content) continue;
    stale.push(path);
    if (check) continue;
    await mkdir(dirname(join(repoRoot, path)), { recursive: true });
    await writeFile(join(repoRoot, path), content);
  }
  if (check && stale.length > 0) {
    console.error(`Generated files are out of date; run \`${regenerateCommand}\`:`);
    for (const path of stale) console.error(`  ${path}`);
    return 1;
  }
  console.log(stale.length === 0 ? 'Generated files are up to date.' : `Wrote ${stale.join(', ')}`);
  return 0;
}

process.exitCode = await main();
