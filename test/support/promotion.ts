// A promotion record as a FailoverGroup writes it, for table tests of the
// rebind's plan and checks: a zone-a primary promoted to its zone-b standby.
import type { PromotionRecord } from '../../src/api/v1alpha1/types.generated.js';

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
