// A virtual pod that is bound before it ever ran on the host (a tenant's own
// scheduler bound it, or it was created with spec.nodeName) keeps that choice
// on the host without bypassing the host scheduler: the host pod gets a
// required node affinity on the node's name (matchFields metadata.name, as
// upstream's DaemonSet controller pins its pods), ANDed into every node
// selector term it has, and the host's default scheduler, since the virtual
// cluster's scheduler has already decided. spec.nodeName itself is never
// copied: the host scheduler still applies the enforced node selector,
// tolerations and everything else the host asks of a pod, so a tenant cannot
// place a pod on a node the guardrails keep it from. A pod that ran on the host
// before (its host pod made again after a pause or a loss, when that node may
// be gone) is not pinned.
import type { Affinity } from './selectors.ts';

interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[]; [field: string]: unknown }
interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } | null;
  [field: string]: unknown;
}

/** `affinity` (unchanged) with a required node affinity that only `node` satisfies. */
export function pinnedToNode(affinity: Affinity | undefined, node: string): Affinity {
  const byName: NodeSelectorRequirement = { key: 'metadata.name', operator: 'In', values: [node] };
  const na = (affinity?.['nodeAffinity'] ?? {}) as NodeAffinity;
  const terms = na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  // Terms are ORed and requirements within a term ANDed: the name goes into each term.
  const pinned: NodeSelectorTerm[] = terms.length === 0
    ? [{ matchFields: [byName] }]
    : terms.map((t) => ({ ...t, matchFields: [...(t.matchFields ?? []), byName] }));
  return {
    ...affinity,
    nodeAffinity: { ...na, requiredDuringSchedulingIgnoredDuringExecution: { ...na.requiredDuringSchedulingIgnoredDuringExecution, nodeSelectorTerms: pinned } },
  };
}

/** The node `affinity` pins to, as pinnedToNode does (every required term names that one node); undefined when not pinned. */
export function pinnedNodeOf(affinity: Affinity | undefined): string | undefined {
  const terms = ((affinity?.['nodeAffinity'] ?? {}) as NodeAffinity).requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  let node: string | undefined;
  for (const t of terms) {
    const pin = (t.matchFields ?? []).find((f) => f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1);
    const name = pin?.values?.[0];
    if (name === undefined || (node !== undefined && node !== name)) return undefined;
    node = name;
  }
  return node;
}
