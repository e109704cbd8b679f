// Backup metrics derived from the cache at scrape time: level-triggered like
// the reconcilers, so they are right after a restart or a missed event.
import { Gauge } from 'prom-client';
import type { VolumeBackup } from '../../api/v1alpha1/types.generated.js';
import { metricSet, ownPrefix } from '../../observability/metrics.js';
import type { Manager } from '../../runtime/manager.js';
import { volumeBackupType } from './types.js';

/** The VolumeBackup controller's own series, filled at scrape time by exportBackupMetrics. */
export const volumeBackupMetrics = metricSet((registry) => ({
  backups: new Gauge({
    name: `${ownPrefix}volumebackup_backups`,
    help: 'VolumeBackups per namespace and phase (a backup with no status yet counts as Pending).',
    labelNames: ['namespace', 'phase'] as const,
    registers: [registry],
  }),
  lastBackupSuccess: new Gauge({
    name: `${ownPrefix}volumebackup_last_success_timestamp_seconds`,
    help: 'When the newest Ready VolumeBackup of each StatefulVolume became ready (Unix seconds).',
    labelNames: ['namespace', 'volume'] as const,
    registers: [registry],
  }),
}));

export interface BackupSeries {
  /** Backups per namespace and phase. */
  readonly byPhase: readonly { namespace: string; phase: string; count: number }[];
  /** The newest readyAt of a Ready backup per namespace and volume, in Unix seconds. */
  readonly lastSuccess: readonly { namespace: string; volume: string; seconds: number }[];
}

function newestReady(into: Map<string, number>, key: string, b: VolumeBackup): void {
  if (b.status?.phase !== 'Ready' || b.status.readyAt === undefined) return;
  const seconds = Date.parse(b.status.readyAt) / 1000;
  if (Number.isNaN(seconds)) return;
  into.set(key, Math.max(into.get(key) ?? 0, seconds));
}

export function backupSeries(backups: readonly VolumeBackup[]): BackupSeries {
  const phases = new Map<string, number>();
  const ready = new Map<string, number>();
  for (const b of backups) {
    const ns = b.metadata.namespace ?? '';
    const phaseKey = JSON.stringify([ns, b.status?.phase ?? 'Pending']);
    phases.set(phaseKey, (phases.get(phaseKey) ?? 0) + 1);
    newestReady(ready, JSON.stringify([ns, b.spec.volumeName]), b);
  }
  return {
    byPhase: [...phases].map(([key, count]) => {
      const [namespace = '', phase = ''] = JSON.parse(key) as string[];
      return { namespace, phase, count };
    }),
    lastSuccess: [...ready].map(([key, seconds]) => {
      const [namespace = '', volume = ''] = JSON.parse(key) as string[];
      return { namespace, volume, seconds };
    }),
  };
}

/** Installs the scrape-time collector; series of deleted backups and volumes disappear with them. */
export function exportBackupMetrics(mgr: Manager): void {
  const { backups, lastBackupSuccess } = volumeBackupMetrics(mgr.metrics);
  mgr.metrics.onCollect(() => {
    const series = backupSeries(mgr.cache.list<VolumeBackup>(volumeBackupType));
    backups.reset();
    lastBackupSuccess.reset();
    for (const s of series.byPhase) backups.set({ namespace: s.namespace, phase: s.phase }, s.count);
    for (const s of series.lastSuccess)
      lastBackupSuccess.set({ namespace: s.namespace, volume: s.volume }, s.seconds);
  });
}
