// default/kubernetes at the address pods reach the API server by, for
// clusters whose pods run elsewhere (a host cluster, through the syncer):
// the Service's ClusterIP is that IP, so `kubectl get svc kubernetes`, the
// pods' KUBERNETES_SERVICE_HOST and DNS agree. Port 443 (https) stays, its
// target port is the server's. A ClusterIP cannot change: a Service with
// another one is deleted and made again. (kube-apiserver keeps this Service
// itself; nothing else changes it here.)

import { isIP } from 'node:net';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import type { APIServerEndpoint } from './endpoint-util.ts';
import { ignoreExists, ignoreNotFound, rec } from './util.ts';

const KEY = 'default/kubernetes';
const FIELD_MANAGER = 'kube-apiserver';

function ports(api: APIServerEndpoint): unknown[] {
  return [{ name: 'https', port: 443, protocol: 'TCP', targetPort: api.port }];
}

/** The Service as it should be; its ClusterIP is `api.ip`. */
export function kubernetesService(api: APIServerEndpoint): KubeObject {
  return {
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: api.ip, clusterIPs: [api.ip], ports: ports(api), sessionAffinity: 'None' },
  };
}

/** Keep default/kubernetes at `api` (read at each reconcile); nothing is done while `api.ip` is not an IP. */
export function startKubernetesServiceController(ctx: ControllerContext, api: APIServerEndpoint): () => void {
  const { vc } = ctx;
  const svcDef = ctx.def('', 'v1', 'services');

  async function sync(): Promise<void> {
    if (isIP(api.ip) === 0) return;
    const current = vc.store.peek(svcDef, 'default', 'kubernetes');
    const spec = rec(current?.spec);
    if (current && spec.clusterIP === api.ip) {
      if (jsonEqual(spec.ports, ports(api))) return;
      await ignoreNotFound(vc.store.guaranteedUpdate(svcDef, 'default', 'kubernetes', (cur) => {
        const o = cur as KubeObject;
        o.spec = { ...rec(o.spec), ports: ports(api) };
        return o;
      }, { fieldManager: FIELD_MANAGER }));
      return;
    }
    if (current) {
      await ignoreNotFound(vc.store.delete(svcDef, 'default', 'kubernetes', { preconditions: { uid: current.metadata.uid }, fieldManager: FIELD_MANAGER }));
    }
    await ignoreExists(vc.store.create(svcDef, 'default', kubernetesService(api), { fieldManager: FIELD_MANAGER }));
  }

  const c = new Controller('kubernetes-service', sync);
  const unwatch = c.watch(vc.cache, resourcePrefix(svcDef), (ev) =>
    ev.obj.metadata.namespace === 'default' && ev.obj.metadata.name === 'kubernetes' ? KEY : undefined);
  c.enqueue(KEY);
  return () => { unwatch(); c.stop(); };
}
