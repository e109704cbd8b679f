// A promotion record as a FailoverGroup writes it, for table tests of the
// rebind's plan and checks: a zone-a primary promoted to its zone-b standby;
// and one naming live objects, for the tests that write it to a cluster.
import type { FailoverGroup, PromotionRecord } from '../../src/api/v1alpha1/types.generated.js';
import { rfc3339 } from '../../src/runtime/clock.js';
import { failoverGroup } from './builders.js';

export const recordVolumeUid = 'uid-svol';

export function promotionRecord(overrides: Partial<PromotionRecord> = {}): PromotionRecord {
  return {
    volume: { name: 'data-db-0', uid: recordVolumeUid },
    reason: 'ZoneFailure',
    zone: 'zone-b',
    startedAt: '2026-12-07T10:00:00Z',
    oldClaim: { name: 'data-db-0', uid: 'uid-old' },
    oldVolume: { name: 'pv-old', uid: 'pvuid-old' },
    standbyClaim: { name: 'data-db-0-zone-b-1234abcd', uid: 'uid-standby' },
    standbyVolume: { name: 'pv-standby', uid: 'pvuid-standby' },
    ...overrides,
  };
}

interface Named {
  metadata: { name?: string; uid?: string };
}

/** How a promotion record names an object: by name and UID, so a replaced object of the same name does not match. */
function identity(o: Named): { name: string; uid: string } {
  return { name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' };
}

/** The record a FailoverGroup writes, started now, naming the live objects it rebinds. */
export function promotionRecordFrom(
  objects: Record<'volume' | 'oldClaim' | 'oldVolume' | 'standbyClaim' | 'standbyVolume', Named>,
  reason: PromotionRecord['reason'],
  zone: string,
): PromotionRecord {
  return {
    volume: identity(objects.volume),
    reason,
    zone,
    startedAt: rfc3339(new Date()),
    oldClaim: identity(objects.oldClaim),
    oldVolume: identity(objects.oldVolume),
    standbyClaim: identity(objects.standbyClaim),
    standbyVolume: identity(objects.standbyVolume),
  };
}

/** The group the promotion tests record in: the volumes labelled app=db, in zones a and b. */
export function promotingGroup(namespace: string): FailoverGroup {
  return failoverGroup(namespace, 'db', {
    spec: { volumes: { selector: { matchLabels: { app: 'db' } } }, zones: ['zone-a', 'zone-b'] },
  });
}
