// kubectl logs, exec, attach and port-forward for a cluster's pods: the
// streaming protocols (server/streaming) attached to the cluster's routes.
// Host access (log files, local commands and addresses named in pod
// annotations) is off unless the server owner turns it on: on a shared server
// it would let any tenant who can create pods run commands on the host.

import type { VirtualCluster } from './cluster.ts';
import { objectKey } from '../registry/generic/keys.ts';
import { errors } from '../api/errors.ts';
import type { EnvSources } from './streaming/container-env.ts';
import { attachPodProxy } from './pod-proxy.ts';

/** The config maps and secrets of `namespace` in `vc`, as a container's environment reads them. */
function envSources(vc: VirtualCluster, namespace: string | undefined): EnvSources {
  const data = (plural: string, name: string) => {
    const def = vc.registry.find('', 'v1', plural);
    return def ? vc.store.peek(def, namespace, name)?.['data'] as Record<string, string> | undefined : undefined;
  };
  return {
    configMap: (name) => data('configmaps', name),
    secret: (name) => {
      const d = data('secrets', name);
      return d && Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    },
  };
}

export function attachPodStreams(vc: VirtualCluster, opts: { hostAccess: boolean; signal: AbortSignal }): void {
  const podsDef = vc.registry.find('', 'v1', 'pods');
  if (!podsDef) return;
  const streaming = () => import('./streaming/index.ts');
  const podOf = (namespace: string | undefined, name: string) => vc.store.get(podsDef, namespace, name);
  const options = (namespace: string | undefined, name: string) => ({
    hostAccess: opts.hostAccess,
    signal: opts.signal,
    envSources: envSources(vc, namespace),
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
  // pods/proxy and services/proxy, to the same annotated addresses as port-forward.
  attachPodProxy(vc, opts);
}
