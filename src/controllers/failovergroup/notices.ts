// With nodeFailure.action Notify the operator only tells a person: one Warning
// per failure of a node, not one per pass. A pass runs every few seconds while
// the node stays down, and even folded by the recorder each repeat is a write.
// Held in memory: after a restart a node still down is told once more, which
// is what a person who missed the first one wants.

export class FailureNotices {
  private readonly told = new Map<string, ReadonlySet<string>>();

  /**
   * The group's failed nodes not told yet. Nodes no longer failed are
   * forgotten, so their next failure is told again.
   */
  untold(group: string, failed: readonly string[]): string[] {
    const before = this.told.get(group);
    const fresh = failed.filter((node) => before?.has(node) !== true);
    if (failed.length === 0) this.told.delete(group);
    else this.told.set(group, new Set(failed));
    return fresh;
  }
}
