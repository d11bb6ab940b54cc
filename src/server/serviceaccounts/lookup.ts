// Object lookups for tokens, backed by a virtual cluster's store.
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';
import type { AsyncObjectLookup } from './token-request.ts';
import type { LookupKind, ObjectLookup } from './tokens.ts';

const plurals: Record<LookupKind, string> = { ServiceAccount: 'serviceaccounts', Pod: 'pods', Secret: 'secrets', Node: 'nodes' };

function defOf(vc: VirtualCluster, kind: LookupKind): ResourceDef {
  const def = vc.registry.find('', 'v1', plurals[kind]);
  if (!def) throw new Error(`the registry has no v1 ${plurals[kind]}`);
  return def;
}

/** Synchronous lookups from the watch cache, for the authenticator. */
export function cacheLookup(vc: VirtualCluster): ObjectLookup {
  return (kind, namespace, name) => vc.store.peek(defOf(vc, kind), kind === 'Node' ? undefined : namespace, name);
}

/** Lookups that first catch up with storage (a read of the latest state), for TokenRequest. */
export function storeLookup(vc: VirtualCluster): AsyncObjectLookup {
  return async (kind, namespace, name): Promise<KubeObject | undefined> => {
    try {
      return await vc.store.get(defOf(vc, kind), kind === 'Node' ? undefined : namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  };
}
