// The StatefulVolume controller: its own kind, and the claims it owns.
import type { OperatorConfig } from '../../config.js';
import { coreTypes } from '../../kube/resource.js';
import { ownerKeys } from '../../runtime/controller.js';
import type { Manager } from '../../runtime/manager.js';
import { reconcileStatefulVolume } from './reconcile.js';
import { statefulVolumeType } from './types.js';

export function registerStatefulVolume(mgr: Manager, config: Pick<OperatorConfig, 'concurrency'>): void {
  mgr.add({
    name: 'statefulvolume',
    forType: statefulVolumeType,
    watches: [{ type: coreTypes.persistentVolumeClaim, map: ownerKeys(statefulVolumeType) }],
    concurrency: config.concurrency,
    reconcile: (req) => reconcileStatefulVolume(mgr, req),
  });
}
