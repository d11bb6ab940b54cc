// The clusterrole-aggregation controller: keeps the rules of every ClusterRole
// with an aggregationRule equal to the rules of the ClusterRoles its selectors
// match. Any ClusterRole change requeues every aggregated role (the set is
// small and the dependency graph unknown, as upstream does).

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { aggregatedRules, aggregationSelectors, sameRules, storedRules } from '../../server/rbac/aggregate.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';

export const aggregationFieldManager = 'clusterrole-aggregation-controller';

export function startClusterRoleAggregationController(ctx: ControllerContext): () => void {
  const def = ctx.def('rbac.authorization.k8s.io', 'v1', 'clusterroles');
  const store = ctx.vc.store;
  const prefix = resourcePrefix(def);
  const all = (): KubeObject[] => [...ctx.vc.cache.scan(prefix)].map((c) => c.obj);

  const c = new Controller('clusterrole-aggregation', async (name) => {
    const role = store.peek(def, undefined, name);
    if (!role || aggregationSelectors(role) === undefined) return;
    const rules = aggregatedRules(role, all()) ?? [];
    if (sameRules(rules, storedRules((role as { rules?: unknown }).rules))) return;
    try {
      await store.guaranteedUpdate(def, undefined, name, (cur) => {
        const next = cur as KubeObject;
        next.rules = rules;
        return next;
      }, { fieldManager: aggregationFieldManager });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  });
  const enqueueAggregated = () => {
    for (const r of all()) if (aggregationSelectors(r) !== undefined) c.enqueue(r.metadata.name as string);
  };
  const unwatch = ctx.vc.cache.subscribe({ prefix, onEvent: enqueueAggregated });
  enqueueAggregated();
  return () => { unwatch(); c.stop(); };
}
