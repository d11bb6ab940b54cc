// kubectl logs, exec, attach and port-forward for a cluster's pods: the
// streaming protocols (server/streaming) attached to the cluster's routes.
// Host access (log files, local commands and addresses named in pod
// annotations) is off unless the server owner turns it on: on a shared server
// it would let any tenant who can create pods run commands on the host.

import type { VirtualCluster } from './cluster.ts';
import { objectKey } from '../registry/generic/keys.ts';
import { errors } from '../api/errors.ts';

export function attachPodStreams(vc: VirtualCluster, opts: { hostAccess: boolean; signal: AbortSignal }): void {
  const podsDef = vc.registry.find('', 'v1', 'pods');
  if (!podsDef) return;
  const streaming = () => import('./streaming/index.ts');
  const podOf = (namespace: string | undefined, name: string) => vc.store.get(podsDef, namespace, name);
  const options = (namespace: string | undefined, name: string) => ({
    hostAccess: opts.hostAccess,
    signal: opts.signal,
    onPodDeleted: (listener: () => void) => {
      const key = objectKey(podsDef, namespace, name);
      // The prefix also matches longer names (web, web-2): compare the whole key.
      return vc.cache.subscribe({ prefix: key, onEvent: (ev) => { if (ev.type === 'DELETED' && ev.key === key) listener(); } });
    },
  });
  vc.subresources.set('/pods/log', async (ctx) => {
    if (ctx.info.verb !== 'get') throw errors.methodNotAllowed(ctx.req.method ?? '', 'pods/log');
    const pod = await podOf(ctx.info.namespace, ctx.info.name as string);
    await (await streaming()).serveLogs(ctx.req, ctx.res, pod, ctx.query, options(ctx.info.namespace, ctx.info.name as string));
  });
  for (const kind of ['exec', 'attach'] as const) {
    vc.upgrades.set(`/pods/${kind}`, async (req, socket, head, t) => {
      const pod = await podOf(t.namespace, t.name);
      await (await streaming()).handleExec(req, socket, head, pod, t.query, kind, options(t.namespace, t.name));
    });
  }
  vc.upgrades.set('/pods/portforward', async (req, socket, head, t) => {
    const pod = await podOf(t.namespace, t.name);
    await (await streaming()).handlePortForward(req, socket, head, pod, options(t.namespace, t.name));
  });
}
