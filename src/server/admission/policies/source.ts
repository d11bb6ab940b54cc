// A cluster's ValidatingAdmissionPolicies (or MutatingAdmissionPolicies) and
// their bindings, kept from its watch cache (scan once, then events): a write reads them without a list.
// As upstream's policy source: a policy counts only with at least one
// binding naming it, a binding only with its policy there; each policy's CEL
// is compiled once per generation (a status write keeps it).
//
// Order: upstream walks policies in a map's order (unspecified); here
// policies go by name and each one's bindings by name, so the first denial
// reported is always the same.

import type { KubeObject } from '../../../api/types.ts';
import { resourcePrefix } from '../../../registry/generic/keys.ts';
import type { CacheEvent, WatchCache } from '../../../registry/generic/watch-cache.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { readBinding, type Binding } from './compile.ts';

/** A policy with the bindings that name it. */
export interface PolicyHook {
  readonly policy: KubeObject;
  readonly bindings: readonly Binding[];
}

/** Policies of one kind with their bindings; `P`: a policy compiled (by `compile`). */
export class PolicySource<P> {
  private readonly policies = new Map<string, KubeObject>();
  private readonly bindings = new Map<string, KubeObject>();
  private readonly readBindings = new WeakMap<KubeObject, Binding>();
  private readonly compiled = new Map<string, { uid: string; generation: number; policy: P }>();
  private readonly compilePolicy: (policy: KubeObject) => P;
  private sorted: readonly PolicyHook[] | undefined = [];
  private readonly stops: Array<() => void> = [];

  constructor(cache: WatchCache, policyDef: ResourceDef | undefined, bindingDef: ResourceDef | undefined, compile: (policy: KubeObject) => P) {
    this.compilePolicy = compile;
    for (const [def, set] of [[policyDef, this.policies], [bindingDef, this.bindings]] as const) {
      if (!def) continue;
      const prefix = resourcePrefix(def);
      // Scan and subscribe in one synchronous step: no event falls between them.
      for (const c of cache.scan(prefix)) set.set(c.obj.metadata.name ?? '', c.obj);
      this.stops.push(cache.subscribe({
        prefix,
        onEvent: (ev: CacheEvent) => {
          const name = ev.obj.metadata.name ?? '';
          if (ev.type === 'DELETED') {
            set.delete(name);
            if (set === this.policies) this.compiled.delete(name);
          } else {
            set.set(name, ev.obj);
          }
          this.sorted = undefined;
        },
      }));
    }
  }

  /** Whether any binding exists: without one no policy applies, and a write pays nothing more. */
  get active(): boolean {
    return this.bindings.size > 0;
  }

  /** The policies that have bindings, by name, each with its bindings by name. */
  hooks(): readonly PolicyHook[] {
    if (this.sorted) return this.sorted;
    const byPolicy = new Map<string, Binding[]>();
    for (const name of [...this.bindings.keys()].sort()) {
      const stored = this.bindings.get(name)!;
      let b = this.readBindings.get(stored);
      if (!b) this.readBindings.set(stored, (b = readBinding(stored)));
      const list = byPolicy.get(b.policyName);
      if (list) list.push(b); else byPolicy.set(b.policyName, [b]);
    }
    const out: PolicyHook[] = [];
    for (const name of [...byPolicy.keys()].sort()) {
      const policy = this.policies.get(name);
      if (policy) out.push({ policy, bindings: byPolicy.get(name)! });
    }
    this.sorted = out;
    return out;
  }

  /** The policy compiled: once per uid and generation. */
  compile(policy: KubeObject): P {
    const name = policy.metadata.name ?? '';
    const uid = policy.metadata.uid ?? '';
    const generation = policy.metadata.generation ?? 0;
    const hit = this.compiled.get(name);
    if (hit && hit.uid === uid && hit.generation === generation) return hit.policy;
    const compiled = this.compilePolicy(policy);
    this.compiled.set(name, { uid, generation, policy: compiled });
    return compiled;
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }
}
