// Step: the StorageClass the claims will use, checked before any claim is
// made. A claim naming a class that does not exist never binds and says
// nothing; a status condition that names the class tells the user what to fix.
import { statefulVolumeReasons as reasons } from '../../api/v1alpha1/reasons.js';
import type { StatefulVolume } from '../../api/v1alpha1/types.generated.js';
import { coreTypes } from '../../kube/resource.js';
import type { KubeObject } from '../../kube/wire.js';
import type { CacheReader } from '../../runtime/capabilities.js';

export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';

/** The parts of a StorageClass this operator reads. */
export interface StorageClassInfo {
  readonly name: string;
  readonly isDefault: boolean;
  readonly allowVolumeExpansion: boolean;
  readonly waitForFirstConsumer: boolean;
}

export type ClassCheck =
  | {
      readonly kind: 'ok';
      /** The class the claims get; undefined means the default class decides. */
      readonly name: string | undefined;
      readonly allowVolumeExpansion: boolean;
      readonly waitForFirstConsumer: boolean;
    }
  | { readonly kind: 'missing'; readonly reason: string; readonly message: string };

/**
 * Finds the class a volume resolves to. Unset means the default class; with
 * none (or, as the API server treats it, more than one marked default and the
 * newest wins) the claim would stay Pending, so that is reported too.
 */
export function checkClass(wanted: string | undefined, classes: readonly StorageClassInfo[]): ClassCheck {
  if (wanted === undefined) {
    const def = classes.find((c) => c.isDefault);
    if (def === undefined) {
      return {
        kind: 'missing',
        reason: reasons.NoDefaultStorageClass,
        message:
          'spec.storageClassName is unset and the cluster has no default StorageClass; mark a class with the annotation storageclass.kubernetes.io/is-default-class=true',
      };
    }
    return { ...flags(def), kind: 'ok', name: undefined };
  }
  const found = classes.find((c) => c.name === wanted);
  if (found === undefined) {
    return {
      kind: 'missing',
      reason: reasons.StorageClassNotFound,
      message: `StorageClass ${wanted} does not exist; create it (the volume waits for it) or create a new StatefulVolume naming an existing class`,
    };
  }
  return { ...flags(found), kind: 'ok', name: wanted };
}

function flags(c: StorageClassInfo): { allowVolumeExpansion: boolean; waitForFirstConsumer: boolean } {
  return { allowVolumeExpansion: c.allowVolumeExpansion, waitForFirstConsumer: c.waitForFirstConsumer };
}

interface StoredClass extends KubeObject {
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: string;
}

export function classInfo(sc: StoredClass): StorageClassInfo {
  return {
    name: sc.metadata.name ?? '',
    isDefault: sc.metadata.annotations?.[defaultClassAnnotation] === 'true',
    allowVolumeExpansion: sc.allowVolumeExpansion === true,
    waitForFirstConsumer: sc.volumeBindingMode === 'WaitForFirstConsumer',
  };
}

export function checkStorageClass(deps: { cache: CacheReader }, vol: StatefulVolume): ClassCheck {
  const classes = deps.cache.list<StoredClass>(coreTypes.storageClass).map(classInfo);
  return checkClass(vol.spec.storageClassName, classes);
}
