// What the status tests hand computeStatus: the group's pods and nodes as the
// cache holds them, every one of them healthy unless the test says otherwise.
import type { GroupView } from '../../../src/controllers/failovergroup/observe.js';

/** The pods' nodes make the group's own; `over` replaces any other field. */
export function groupView(over: Partial<GroupView> & Pick<GroupView, 'pods' | 'nodes'>): GroupView {
  return {
    groupNodes: new Set(over.pods.map((p) => p.spec?.nodeName).filter((n): n is string => n !== undefined)),
    report: { kind: 'Assessed', nodes: [] },
    workloadFound: true,
    backSince: new Map(),
    renewedAt: new Map(),
    volumesAttached: true,
    ...over,
  };
}
