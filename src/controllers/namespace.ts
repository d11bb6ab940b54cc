// Namespace lifecycle: a deleted namespace is Terminating until everything in
// it is gone; then its `kubernetes` finalizer is removed and it goes away.

import { ApiError } from '../api/errors.ts';
import type { GenericStore } from '../registry/generic/store.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { Registry } from '../registry/registry.ts';
import type { ResourceDef } from '../registry/types.ts';
import { Controller } from './runtime.ts';

export const namespaceFinalizer = 'kubernetes';

/** One declaration per stored resource (versions sharing storage appear once). */
function namespacedStorage(registry: Registry): ResourceDef[] {
  const seen = new Set<string>();
  const out: ResourceDef[] = [];
  for (const d of registry.resources) {
    if (d.scope !== 'Namespaced' || d.virtual || !d.verbs.includes('delete')) continue;
    const p = resourcePrefix(d);
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(d);
  }
  return out;
}

export function namespaceController(store: GenericStore, registry: Registry): Controller {
  const nsDef = registry.find('', 'v1', 'namespaces') as ResourceDef;
  const contents = namespacedStorage(registry);
  const c = new Controller('namespace', async (name) => {
    const ns = store.peek(nsDef, undefined, name);
    if (!ns || !ns.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const def of contents) {
      const { items } = await store.list(def, name, { resourceVersion: '0' });
      for (const item of items) {
        remaining++;
        if (item.metadata.deletionTimestamp) continue;
        try {
          await store.delete(def, name, item.metadata.name as string, { propagationPolicy: 'Background' });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
    }
    if (remaining > 0) {
      // Objects with finalizers of their own may take a while; look again soon.
      const again = await Promise.all(contents.map((d) => store.list(d, name, { resourceVersion: '0' })));
      if (again.some((r) => r.items.length > 0)) return { requeueAfterMs: 1000 };
    }
    const fins = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []);
    if (!fins.includes(namespaceFinalizer)) return;
    await store.guaranteedUpdate(nsDef, undefined, name, (cur) => {
      const obj = cur as NonNullable<typeof cur>;
      const spec = (obj.spec ?? {}) as { finalizers?: string[] };
      spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== namespaceFinalizer);
      obj.spec = spec;
      return obj;
    }, { subresource: 'finalize' });
  });
  return c;
}
