// The operator's version, read from package.json at run time so that the
// release number is written in one place. The module runs from src/ (tsx),
// from dist/src/ (compiled) and from /app/dist/src/ in the image, so the file
// is looked up from here upwards rather than at a fixed relative path.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageName = 'stateful-volume-operator';

/** The version of the nearest package.json named `packageName` at or above `startDir`. */
export function readVersion(startDir: string): string {
  for (let dir = startDir; ; dir = dirname(dir)) {
    const found = versionIn(join(dir, 'package.json'));
    if (found !== undefined) return found;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`no package.json of ${packageName} at or above ${startDir}`);
}

function versionIn(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  // A dependency's or a workspace's package.json on the way up is not ours.
  const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
  if (pkg.name !== packageName) return undefined;
  if (typeof pkg.version !== 'string' || pkg.version === '') throw new Error(`${path} has no version`);
  return pkg.version;
}

/** The git revision the image was built from (build argument REVISION), or "unknown". */
export function buildRevision(env: NodeJS.ProcessEnv = process.env): string {
  const revision = env.SVO_REVISION?.trim();
  return revision === undefined || revision === '' ? 'unknown' : revision;
}

export const version: string = readVersion(dirname(fileURLToPath(import.meta.url)));

/** What `--version` prints. */
export const versionLine = `${packageName} ${version}\n`;
