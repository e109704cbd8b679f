// How the group reads a volume's progress on its record: only the volume's
// own report on this very record (group UID, startedAt, volume UID) counts,
// and the record is dropped only when the volume says Completed or is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  FailoverGroup,
  PromotionRecord,
  StatefulVolume,
  VolumePromotionStatus,
} from '../../../src/api/v1alpha1/types.generated.js';
import { progressOf } from '../../../src/controllers/failovergroup/promotions.js';

const fg = { metadata: { name: 'db', namespace: 'shop', uid: 'uid-fg' } } as FailoverGroup;
const record: PromotionRecord = {
  volume: { name: 'data-db-0', uid: 'uid-svol' },
  reason: 'ZoneFailure',
  zone: 'zone-b',
  startedAt: '2026-12-07T10:00:00Z',
  standbyClaim: { name: 's', uid: 'u' },
  standbyVolume: { name: 'pv', uid: 'pvu' },
};

function vol(
  promotion?: Partial<VolumePromotionStatus>,
  over: Partial<StatefulVolume['metadata']> = {},
  stuck = false,
): StatefulVolume {
  return {
    apiVersion: 'storage.stateful.dev/v1alpha1',
    kind: 'StatefulVolume',
    metadata: { name: 'data-db-0', namespace: 'shop', uid: 'uid-svol', ...over },
    spec: { size: '1Gi' },
    status: {
      ...(promotion !== undefined
        ? {
            promotion: {
              group: { name: 'db', uid: 'uid-fg' },
              record,
              phase: 'Rebinding',
              message: 'working',
              ...promotion,
            },
          }
        : {}),
      ...(stuck
        ? {
            conditions: [
              {
                type: 'Promoting',
                status: 'False',
                reason: 'VolumeTaken',
                message: 'm',
                lastTransitionTime: record.startedAt,
              },
            ],
          }
        : {}),
    },
  };
}

const cases: { name: string; vol: StatefulVolume | undefined; want: string }[] = [
  { name: 'a volume that has not taken the record yet is waited for', vol: vol(), want: 'pending' },
  { name: 'a volume rebinding is waited for', vol: vol({}), want: 'pending' },
  {
    name: 'a volume that reports Completed lets the record go',
    vol: vol({ phase: 'Completed' }),
    want: 'completed',
  },
  { name: 'a volume that refused the record stops the group', vol: vol({ phase: 'Refused' }), want: 'stuck' },
  { name: 'a volume stuck on a step stops the group', vol: vol({}, {}, true), want: 'stuck' },
  {
    name: 'Completed for another group’s record does not count',
    vol: vol({ phase: 'Completed', group: { name: 'other', uid: 'uid-other' } }),
    want: 'pending',
  },
  {
    name: 'Completed for an earlier record of this group does not count',
    vol: vol({ phase: 'Completed', record: { ...record, startedAt: '2026-12-01T00:00:00Z' } }),
    want: 'pending',
  },
  {
    name: 'a volume deleted and made again under the same name is gone',
    vol: vol({}, { uid: 'uid-new' }),
    want: 'gone',
  },
  { name: 'a volume that no longer exists is gone', vol: undefined, want: 'gone' },
];

for (const c of cases) {
  test(`promotion progress: ${c.name}`, () => {
    assert.equal(progressOf(fg, record, c.vol).kind, c.want);
  });
}
