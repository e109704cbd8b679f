// The record of one promotion: which claims and volumes a rebind may touch,
// by name and UID. The FailoverGroup writes it in its status (which only the
// operator writes); the StatefulVolume controller carries it out on its own
// claims and volumes and reports in its own status. Shared by both kinds so
// the copy the volume reports is the record the group wrote.
import { objectName, time, zoneName } from './common.js';
import { object, required, string, type ObjectSchema, type StringSchema } from './schema.js';

const uid = (description: string): StringSchema =>
  string(description, { maxLength: 128, pattern: '^[A-Za-z0-9-]+$' });

export function objectRef(description: string, tsName = 'ObjectIdentity'): ObjectSchema {
  return object(
    description,
    {
      name: required(objectName('Name of the object.')),
      uid: uid('UID of the object: only this very object is touched, never a newer one of the same name.'),
    },
    { tsName },
  );
}

export const promotionRecord = object(
  'One StatefulVolume rebound to a copy in another zone: the claim the workload mounts is replaced by a claim ' +
    'of the same name on the standby’s volume. Every object is named with its UID; the StatefulVolume controller ' +
    'touches nothing else, and only objects of the StatefulVolume’s own namespace.',
  {
    volume: required(objectRef('The StatefulVolume, in the namespace of the record’s owner.')),
    reason: required(
      string('Why: ZoneFailure (the active zone is lost), Failback or Manual (a planned move).', {
        enum: ['ZoneFailure', 'Failback', 'Manual'],
        tsName: 'PromotionReason',
      }),
    ),
    zone: required(zoneName('The zone the volume moves to.')),
    startedAt: required(time('When the promotion was decided; with the group it identifies the record.')),
    oldClaim: objectRef('The primary claim when the promotion began: only this object is deleted.'),
    oldVolume: objectRef('The PersistentVolume the old claim was bound to; set to Retain and kept.'),
    standbyClaim: required(
      objectRef(
        'The standby claim whose volume is promoted. Its UID is absent while the claim is still to be restored ' +
          'from restoreFrom.',
      ),
    ),
    standbyVolume: objectRef(
      'The standby claim’s PersistentVolume, which becomes the primary’s. Absent while it is still to be restored.',
    ),
    restoreFrom: objectName(
      'No standby existed in the zone: the standby claim is first restored from this VolumeBackup of the volume.',
    ),
    sourceBackup: objectName('The VolumeBackup the promoted data came from.'),
    backupTakenAt: time('When that backup captured the data, for the data loss window.'),
  },
  { tsName: 'PromotionRecord' },
);

export const volumePromotion = object(
  'The promotion this volume follows or followed last, as its FailoverGroup recorded it, and how far it got. ' +
    'Written by the StatefulVolume controller, which alone changes the volume’s claims and PersistentVolumes.',
  {
    group: required(objectRef('The FailoverGroup whose record this is, in this namespace.')),
    record: required(promotionRecord),
    phase: required(
      string(
        'Accepted: the record is taken, nothing touched yet; Restoring: the standby claim is being restored from ' +
          'a backup; Rebinding: the claims are being rebound; Completed: the claim holds the promoted volume; ' +
          'Refused: a check failed and nothing more is done (see the Promoting condition).',
        {
          enum: ['Accepted', 'Restoring', 'Rebinding', 'Completed', 'Refused'],
          tsName: 'VolumePromotionPhase',
        },
      ),
    ),
    message: string('What the promotion waits for now, or why it was refused.', { maxLength: 4096 }),
  },
  { tsName: 'VolumePromotionStatus' },
);
