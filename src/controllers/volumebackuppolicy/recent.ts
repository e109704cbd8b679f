// Backups this process created that its cache may not show yet. The watch
// that fills the cache trails the create calls, most of all during a burst of
// a thousand creations; a pass that plans the next tick from the cache alone
// misses a backup created a second ago, finds its volume idle and starts a
// second backup of it while the first is still in flight. The API server
// stays the truth: an entry only adds what the cache lacks, and goes once the
// cache has the object or after a bound, so a backup deleted before the
// cache saw it is not remembered for long.
import { objectKey } from '../../kube/wire.js';
import type { Clock } from '../../runtime/clock.js';
import type { Backup } from './types.js';

interface Entry {
  readonly backup: Backup;
  readonly at: number;
}

export const recentCreationTtlMs = 120_000;

export class RecentCreations {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = recentCreationTtlMs,
  ) {}

  record(backup: Backup): void {
    this.entries.set(objectKey(backup), { backup, at: this.clock.now().getTime() });
  }

  /** The cache's backups of a namespace, by name, with the ones created here that it does not show yet. */
  overlay(namespace: string, cached: ReadonlyMap<string, Backup>): Map<string, Backup> {
    const out = new Map(cached);
    const now = this.clock.now().getTime();
    for (const [key, entry] of this.entries) {
      if (entry.backup.metadata.namespace !== namespace) continue;
      const name = entry.backup.metadata.name ?? '';
      if (cached.has(name) || now - entry.at > this.ttlMs) this.entries.delete(key);
      else out.set(name, entry.backup);
    }
    return out;
  }

  /** Entries still waiting for the cache, for tests and debugging. */
  get size(): number {
    return this.entries.size;
  }
}
