// The config maps, secrets and claims a virtual pod uses: the syncer copies
// exactly these to the host (the kube-api-access volume is replaced by the
// pod's token Secret, so its kube-root-ca.crt is not one of them).
import type { KubeObject } from '../api/types.ts';
import { isKubeApiAccessVolume, type PodContainer, type Volume } from './translate/index.ts';

export interface PodReferences {
  readonly configmaps: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
  readonly pvcs: ReadonlySet<string>;
}

export function podReferences(pod: KubeObject): PodReferences {
  const spec = (pod.spec ?? {}) as { volumes?: Volume[]; containers?: PodContainer[]; initContainers?: PodContainer[]; ephemeralContainers?: PodContainer[]; imagePullSecrets?: { name?: string }[] };
  const configmaps = new Set<string>();
  const secrets = new Set<string>();
  const pvcs = new Set<string>();
  const add = (set: Set<string>, name: string | undefined) => { if (name) set.add(name); };
  for (const v of spec.volumes ?? []) {
    if (isKubeApiAccessVolume(v)) continue;
    add(configmaps, v.configMap?.name as string | undefined);
    add(secrets, v.secret?.secretName as string | undefined);
    add(pvcs, v.persistentVolumeClaim?.claimName);
    if (v.ephemeral) add(pvcs, `${pod.metadata.name}-${v.name}`);
    for (const s of v.projected?.sources ?? []) {
      add(configmaps, s.configMap?.name);
      add(secrets, s.secret?.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add(configmaps, e.valueFrom?.configMapKeyRef?.name);
      add(secrets, e.valueFrom?.secretKeyRef?.name);
    }
    for (const f of c.envFrom ?? []) {
      add(configmaps, f.configMapRef?.name);
      add(secrets, f.secretRef?.name);
    }
  }
  for (const s of spec.imagePullSecrets ?? []) add(secrets, s.name);
  return { configmaps, secrets, pvcs };
}

/** Which pods use which object: "configmap/NS/NAME" → pod keys. */
export class ReferenceIndex {
  private readonly users = new Map<string, Set<string>>();
  private readonly uses = new Map<string, string[]>();

  /** Record what the pod `podKey` uses now (replacing what it used before). */
  set(podKey: string, refs: readonly string[]): void {
    this.remove(podKey);
    if (refs.length === 0) return;
    this.uses.set(podKey, [...refs]);
    for (const r of refs) {
      let s = this.users.get(r);
      if (!s) this.users.set(r, (s = new Set()));
      s.add(podKey);
    }
  }

  remove(podKey: string): string[] {
    const before = this.uses.get(podKey) ?? [];
    this.uses.delete(podKey);
    for (const r of before) {
      const s = this.users.get(r);
      s?.delete(podKey);
      if (s && s.size === 0) this.users.delete(r);
    }
    return before;
  }

  used(ref: string): boolean {
    return this.users.has(ref);
  }
}
