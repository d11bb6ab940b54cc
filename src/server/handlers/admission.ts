// Built-in admission that every real cluster runs: namespace lifecycle (no
// objects in missing or terminating namespaces; system namespaces stay).

import { ApiError, errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';

const undeletable = new Set(['default', 'kube-system', 'kube-public']);

export async function admitCreate(cluster: VirtualCluster, def: ResourceDef, namespace: string | undefined, _obj: KubeObject): Promise<void> {
  if (def.scope !== 'Namespaced' || namespace === undefined) return;
  const nsDef = cluster.registry.find('', 'v1', 'namespaces');
  if (!nsDef) return;
  await cluster.cache.sync();
  const ns = cluster.store.peek(nsDef, undefined, namespace);
  if (!ns) throw errors.notFound({ group: '', resource: 'namespaces' }, namespace);
  if (ns.metadata.deletionTimestamp) {
    throw new ApiError(403, 'Forbidden',
      `${def.plural}${def.group ? '.' + def.group : ''} "${_obj.metadata.name ?? _obj.metadata.generateName ?? ''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      { name: _obj.metadata.name, group: def.group, kind: def.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] });
  }
}

export function admitDelete(def: ResourceDef, name: string): void {
  if (def.group === '' && def.plural === 'namespaces' && undeletable.has(name)) {
    throw errors.forbidden({ group: '', resource: 'namespaces' }, name, 'this namespace may not be deleted');
  }
}
