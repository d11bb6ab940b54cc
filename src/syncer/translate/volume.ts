// The virtual PersistentVolume standing for the host volume a synced claim is
// bound to: the host volume's name and spec (capacity, access modes, class,
// volume mode, reclaim policy, source, node affinity), its claimRef naming the
// virtual claim, phase Bound.

import { deepCopy } from '../../api/json-copy.ts';
import type { KubeObject } from '../../api/types.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import { copiedAnnotations, copiedLabels } from './from-host.ts';

/** The virtual claim a virtual volume is bound to. */
export interface ClaimIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface VolumeClaimRef {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** The claim a volume's spec.claimRef names. */
export function claimRefOf(pv: KubeObject): VolumeClaimRef | undefined {
  const ref = (pv.spec as { claimRef?: VolumeClaimRef } | undefined)?.claimRef;
  return ref && typeof ref === 'object' ? ref : undefined;
}

export function toVirtualVolume(hostPv: KubeObject, claim: ClaimIdentity): KubeObject {
  const spec = deepCopy((hostPv.spec ?? {}) as Record<string, unknown>);
  spec.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.namespace, name: claim.name, uid: claim.uid };
  return {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: {
      name: hostPv.metadata.name,
      labels: copiedLabels(hostPv.metadata.labels),
      annotations: copiedAnnotations(hostPv.metadata.annotations),
    },
    spec,
    status: { phase: 'Bound' },
  };
}

/** What of the virtual volume must change to match `want`: its object (labels, annotations, spec), its status, or nothing. */
export function volumeDiffers(have: KubeObject, want: KubeObject): { object: boolean; status: boolean } {
  const object = !jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {}) ||
    !jsonEqual(have.metadata.annotations ?? {}, want.metadata.annotations ?? {}) ||
    !jsonEqual(withoutRV(have.spec), want.spec ?? {});
  const phase = (o: KubeObject) => (o.status as { phase?: string } | undefined)?.phase;
  return { object, status: phase(have) !== phase(want) };
}

function withoutRV(spec: unknown): unknown {
  const s = (spec ?? {}) as { claimRef?: VolumeClaimRef };
  if (!s.claimRef?.resourceVersion) return s;
  const { resourceVersion: _rv, ...ref } = s.claimRef;
  return { ...s, claimRef: ref };
}
