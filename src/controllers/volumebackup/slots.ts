// Step: a slot among the snapshots in progress. A snapshot controller works
// through its queue at the rate its client limit allows (5 requests a second
// by default, about ten requests per snapshot), and every snapshot in
// progress keeps costing requests while it waits, so a thousand requested at
// once finish far later than the same thousand fed to it a few dozen at a
// time. The operator therefore starts at most `limit` snapshots at a time over
// all namespaces; the rest wait, oldest first, and are woken as slots free.
//
// In progress means requested and not finished: status.startedAt set, phase
// neither Ready nor Failed, as the cache shows it. A slot taken by this
// process counts from the moment it is taken, before the cache shows the
// backup started, so parallel reconciles cannot overshoot the limit.
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { objectKey } from '../../kube/wire.js';
import type { Clock } from '../../runtime/clock.js';

export type Admission =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly inProgress: number; readonly limit: number };

/** What the count is made from; the cache in the controller, a list in tests. */
export type BackupSource = () => readonly VolumeBackup[];

/** A taken slot the cache may not show yet is held this long at most. */
export const slotHoldMs = 120_000;
/** The cache is counted at most this often: a thousand waiting backups must not each walk every backup. */
const recountMs = 500;

export function inProgress(b: VolumeBackup): boolean {
  const phase = b.status?.phase;
  return b.status?.startedAt !== undefined && phase !== 'Ready' && phase !== 'Failed';
}

export class SnapshotSlots {
  /** Slots this process took, by backup key, with when. */
  private readonly taken = new Map<string, number>();
  /** Backups refused a slot, by key, with their creation time (the order they are woken in). */
  private readonly waiting = new Map<string, number>();
  private counted: { at: number; keys: Set<string> } | undefined;

  constructor(
    readonly limit: number,
    private readonly backups: BackupSource,
    private readonly clock: Clock,
  ) {}

  private startedInCache(now: number): Set<string> {
    if (this.counted === undefined || now - this.counted.at >= recountMs)
      this.counted = { at: now, keys: new Set(this.backups().filter(inProgress).map(objectKey)) };
    return this.counted.keys;
  }

  private busy(now: number): Set<string> {
    const started = this.startedInCache(now);
    const all = new Set(started);
    for (const [key, at] of this.taken) {
      // Once the cache shows it started, the cache counts it; a stale hold lapses.
      if (started.has(key) || now - at > slotHoldMs) this.taken.delete(key);
      else all.add(key);
    }
    return all;
  }

  /** Takes a slot for the backup if one is free (or it holds one already). */
  admit(backup: VolumeBackup): Admission {
    const now = this.clock.now().getTime();
    const key = objectKey(backup);
    const busy = this.busy(now);
    if (busy.has(key) || busy.size < this.limit) {
      this.taken.set(key, now);
      this.waiting.delete(key);
      return { admitted: true };
    }
    const created = Date.parse(backup.metadata.creationTimestamp ?? '');
    this.waiting.set(key, Number.isNaN(created) ? now : created);
    return { admitted: false, inProgress: busy.size, limit: this.limit };
  }

  /** A backup finished or went away: its slot is free at once, and it waits for none. */
  release(backup: Pick<VolumeBackup, 'metadata'>): void {
    const key = objectKey(backup);
    this.taken.delete(key);
    this.waiting.delete(key);
    this.counted = undefined;
  }

  /** The oldest waiting backups that the free slots can take, to wake when a slot frees. */
  next(): string[] {
    const now = this.clock.now().getTime();
    const free = Math.max(0, this.limit - this.busy(now).size);
    return [...this.waiting.entries()]
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, free)
      .map(([key]) => key);
  }
}
