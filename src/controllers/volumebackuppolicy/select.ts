// Step: which StatefulVolumes of the namespace the policy backs up. Pure: the
// reconcile passes in the volumes from the cache.
import type {
  LabelSelector,
  LabelSelectorRequirement,
  StatefulVolume,
  VolumeBackupPolicySpec,
} from '../../api/v1alpha1/types.generated.js';

export interface Selection {
  /** Selected volumes that exist, sorted by name. */
  readonly volumes: readonly StatefulVolume[];
  /** Names in spec.volumes that have no StatefulVolume, sorted: reported, not an error. */
  readonly missing: readonly string[];
}

function requirementHolds(labels: Readonly<Record<string, string>>, req: LabelSelectorRequirement): boolean {
  const has = Object.hasOwn(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(labels[req.key] ?? '');
    case 'NotIn':
      // As in Kubernetes: an object without the label satisfies NotIn.
      return !has || !values.includes(labels[req.key] ?? '');
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** Whether labels satisfy a selector; an empty selector matches everything, as in Kubernetes. */
export function matchesSelector(
  labels: Readonly<Record<string, string>> | undefined,
  selector: LabelSelector,
): boolean {
  const l = labels ?? {};
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => l[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((req) => requirementHolds(l, req));
}

const byName = (a: StatefulVolume, b: StatefulVolume): number =>
  (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/**
 * The volumes of the namespace the spec names or selects. Volumes being
 * deleted are left out: a backup of a volume on its way out would only race
 * its claim's deletion.
 */
export function selectVolumes(
  spec: Pick<VolumeBackupPolicySpec, 'selector' | 'volumes'>,
  inNamespace: readonly StatefulVolume[],
): Selection {
  const live = inNamespace.filter((v) => v.metadata.deletionTimestamp === undefined);
  if (spec.volumes !== undefined) {
    const byNameMap = new Map(live.map((v) => [v.metadata.name ?? '', v]));
    const wanted = [...new Set(spec.volumes)].sort();
    return {
      volumes: wanted.flatMap((n) => {
        const v = byNameMap.get(n);
        return v === undefined ? [] : [v];
      }),
      missing: wanted.filter((n) => !byNameMap.has(n)),
    };
  }
  const selector = spec.selector ?? {};
  return {
    volumes: live.filter((v) => matchesSelector(v.metadata.labels, selector)).sort(byName),
    missing: [],
  };
}
