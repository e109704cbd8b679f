// Whether a restore still reads from a snapshot: a claim made from it that is
// not Bound yet. Deleting the snapshot under it would leave the claim Pending
// forever, so the backup keeps its snapshot until the claim binds or goes.
import { snapshotApiGroup } from './types.js';

interface DataSourceShape {
  readonly apiGroup?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** The fields of a claim this module reads. */
export interface RestoringClaim {
  readonly metadata: {
    readonly name?: string;
    readonly namespace?: string;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: { readonly dataSource?: DataSourceShape; readonly dataSourceRef?: DataSourceShape };
  readonly status?: { readonly phase?: string };
}

function namesSnapshot(ref: DataSourceShape | undefined, snapshot: string, namespace: string): boolean {
  if (ref === undefined) return false;
  return (
    ref.kind === 'VolumeSnapshot' &&
    ref.apiGroup === snapshotApiGroup &&
    ref.name === snapshot &&
    (ref.namespace === undefined || ref.namespace === namespace)
  );
}

/** Names of the claims still being restored from the snapshot, sorted. */
export function restoresReading(
  snapshot: string,
  namespace: string,
  claims: readonly RestoringClaim[],
): string[] {
  return claims
    .filter((c) => (c.metadata.namespace ?? namespace) === namespace)
    .filter((c) => c.metadata.deletionTimestamp === undefined && c.status?.phase !== 'Bound')
    .filter(
      (c) =>
        namesSnapshot(c.spec?.dataSource, snapshot, namespace) ||
        namesSnapshot(c.spec?.dataSourceRef, snapshot, namespace),
    )
    .map((c) => c.metadata.name ?? '')
    .sort();
}

/** The snapshot a claim is restored from, if any: lets a claim's change wake the backup. */
export function snapshotSourceOf(claim: RestoringClaim): string | undefined {
  const ns = claim.metadata.namespace ?? '';
  for (const ref of [claim.spec?.dataSource, claim.spec?.dataSourceRef]) {
    if (ref?.name !== undefined && namesSnapshot(ref, ref.name, ns)) return ref.name;
  }
  return undefined;
}
