// The driver's backend: a volume is a directory, a snapshot is a full copy of
// one, and a JSON index records what exists. Copies land under a ".partial"
// name and are renamed into place once complete, and the index is written
// before a call answers, so a driver that is killed and started again finds
// exactly the volumes and snapshots it reported, and nothing half-made.
import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessModeName } from './types.js';

export interface VolumeRecord {
  readonly id: string;
  readonly name: string;
  capacityBytes: number;
  readonly zone: string;
  readonly accessMode: AccessModeName;
  readonly source?: { readonly kind: 'snapshot' | 'volume'; readonly id: string };
  readonly parameters: Record<string, string>;
  readonly createdAt: string;
  /** Node IDs the volume is published (attached) to, with the read-only flag of each. */
  published: Record<string, { readonly readonly: boolean }>;
}

export interface SnapshotRecord {
  readonly id: string;
  readonly name: string;
  readonly sourceVolumeId: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
}

interface Index {
  version: 1;
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
}

const partial = '.partial';

export class Store {
  private index: Index = { version: 1, volumes: {}, snapshots: {} };
  private saving: Promise<void> = Promise.resolve();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<Store> {
    const store = new Store(root);
    await mkdir(join(root, 'volumes'), { recursive: true });
    await mkdir(join(root, 'snapshots'), { recursive: true });
    if (existsSync(store.indexFile())) {
      store.index = JSON.parse(await readFile(store.indexFile(), 'utf8')) as Index;
    }
    await store.removeLeftovers();
    return store;
  }

  volumeDir(id: string): string {
    return join(this.root, 'volumes', id);
  }

  snapshotDir(id: string): string {
    return join(this.root, 'snapshots', id);
  }

  volumes(): VolumeRecord[] {
    return Object.values(this.index.volumes).sort(byCreation);
  }

  snapshots(): SnapshotRecord[] {
    return Object.values(this.index.snapshots).sort(byCreation);
  }

  volume(id: string): VolumeRecord | undefined {
    return this.index.volumes[id];
  }

  snapshot(id: string): SnapshotRecord | undefined {
    return this.index.snapshots[id];
  }

  volumeByName(name: string): VolumeRecord | undefined {
    return Object.values(this.index.volumes).find((v) => v.name === name);
  }

  snapshotByName(name: string): SnapshotRecord | undefined {
    return Object.values(this.index.snapshots).find((s) => s.name === name);
  }

  /** Creates the volume's directory, empty or filled with a copy of `from`, then records it. */
  async addVolume(rec: VolumeRecord, from?: string): Promise<void> {
    const dir = this.volumeDir(rec.id);
    await fill(dir, from);
    this.index.volumes[rec.id] = rec;
    await this.save();
  }

  async updateVolume(rec: VolumeRecord): Promise<void> {
    this.index.volumes[rec.id] = rec;
    await this.save();
  }

  async removeVolume(id: string): Promise<void> {
    // The record goes first: a crash in between leaves an orphan directory
    // (cleaned at start), never a record whose bytes are gone.
    Reflect.deleteProperty(this.index.volumes, id);
    await this.save();
    await rm(this.volumeDir(id), { recursive: true, force: true });
  }

  /** Copies every byte of the source volume into the snapshot's directory, then records it. */
  async addSnapshot(rec: SnapshotRecord): Promise<void> {
    await fill(this.snapshotDir(rec.id), this.volumeDir(rec.sourceVolumeId));
    this.index.snapshots[rec.id] = rec;
    await this.save();
  }

  async removeSnapshot(id: string): Promise<void> {
    Reflect.deleteProperty(this.index.snapshots, id);
    await this.save();
    await rm(this.snapshotDir(id), { recursive: true, force: true });
  }

  private indexFile(): string {
    return join(this.root, 'index.json');
  }

  // Each write takes the index as it is when queued; writes run one at a
  // time, so the last one on disk is always the newest.
  private save(): Promise<void> {
    const text = JSON.stringify(this.index, null, 2);
    const file = this.indexFile();
    this.saving = this.saving.then(async () => {
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    });
    return this.saving;
  }

  private async removeLeftovers(): Promise<void> {
    for (const [kind, known] of [
      ['volumes', this.index.volumes],
      ['snapshots', this.index.snapshots],
    ] as const) {
      for (const entry of await readdir(join(this.root, kind))) {
        if (!(entry in known)) await rm(join(this.root, kind, entry), { recursive: true, force: true });
      }
    }
  }
}

// Stable order for paginated lists; the ID breaks ties within a millisecond.
function byCreation(a: { createdAt: string; id: string }, b: { createdAt: string; id: string }): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

async function fill(dir: string, from: string | undefined): Promise<void> {
  const staging = `${dir}${partial}`;
  await rm(staging, { recursive: true, force: true });
  if (from === undefined) await mkdir(staging, { recursive: true });
  else await cp(from, staging, { recursive: true, preserveTimestamps: true });
  await rename(staging, dir);
}
