// Every file generated from src/api/v1alpha1 (and the argocd-cm patch, from
// the Argo CD health scripts), rendered in memory; of README.md and
// docs/api.md only the tables between their markers. The generator writes
// them; the unit test compares them with what is checked in.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { kinds } from '../../src/api/v1alpha1/kinds.js';
import { argocdCmPath, renderArgocdCm } from './argocd.js';
import { crdFileName, generatedHeader, renderCrdYaml } from './crd.js';
import { renderDocs } from './docs.js';
import { renderTypes } from './typescript.js';

export const regenerateCommand = 'npx tsx scripts/generate.ts';

export const repoRoot = join(import.meta.dirname, '..', '..');

async function pretty(text: string, path: string): Promise<string> {
  const config = (await resolveConfig(join(repoRoot, path))) ?? {};
  return format(text, { ...config, filepath: path });
}

function crdKustomization(): string {
  return (
    generatedHeader +
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      ...kinds.map((k) => `  - bases/${crdFileName(k)}`),
      '',
    ].join('\n')
  );
}

/** Generated files by path relative to the repository root. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const kind of kinds) {
    const yaml = await pretty(renderCrdYaml(kind), 'crds/crd.yaml');
    files.set(`crds/${crdFileName(kind)}`, yaml);
    // kustomize loads nothing outside its root, so config/crd gets a copy.
    files.set(`config/crd/bases/${crdFileName(kind)}`, yaml);
  }
  files.set(
    'config/crd/kustomization.yaml',
    await pretty(crdKustomization(), 'config/crd/kustomization.yaml'),
  );
  const typesPath = 'src/api/v1alpha1/types.generated.ts';
  files.set(typesPath, await pretty(renderTypes(kinds), typesPath));
  const docsPath = 'docs/api.md';
  files.set(docsPath, renderDocs(await readFile(join(repoRoot, docsPath), 'utf8'), kinds));
  const readmePath = 'README.md';
  files.set(readmePath, renderDocs(await readFile(join(repoRoot, readmePath), 'utf8'), kinds, readmePath));
  files.set(argocdCmPath, await pretty(await renderArgocdCm(repoRoot), argocdCmPath));
  return files;
}
