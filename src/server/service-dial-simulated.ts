// The default ServiceDialer (service-dial.ts) of a standalone cluster, whose
// pods are simulated: a ready endpoint of the Service's port, chosen as
// services/proxy chooses one (pod-proxy.ts simulatedServiceTarget), reached
// at the address its pod's `kubevisor.dev/port-forward-<targetPort>`
// annotation names (only with host access on). A raw TCP connection: the
// caller speaks TLS over it.

import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError } from '../api/errors.ts';
import type { VirtualCluster } from './cluster.ts';
import { simulatedServiceTarget } from './pod-proxy.ts';
import { ServiceDialError, type ServiceDialer } from './service-dial.ts';
import type { StreamingOptions } from './streaming/pod-config.ts';

/** Upstream's resolver texts for what simulatedServiceTarget refuses. */
export function resolveErrorText(e: unknown, service: string, port: number): string {
  if (e instanceof ApiError) {
    if (e.code === 404 && e.details?.kind === 'services') return `service ${JSON.stringify(service)} not found`;
    if ((e.code === 404 && e.details?.kind === 'endpoints') || e.message.startsWith('no endpoints available')) {
      return `no endpoints available for service ${JSON.stringify(service)}`;
    }
    if (e.message.startsWith('no service port')) return `no service port ${port} found for service ${JSON.stringify(service)}`;
    return e.message;
  }
  return (e as Error)?.message ?? String(e);
}

/** The dialer of a cluster of simulated pods. */
export function simulatedServiceDialer(vc: VirtualCluster, options: StreamingOptions): ServiceDialer {
  return async (target, signal) => {
    let addr: { host: string; port: number };
    try {
      const resolve = await simulatedServiceTarget(vc, target.namespace, `https:${target.name}:${target.port}`, options);
      addr = resolve();
    } catch (e) {
      // A pod port with nowhere to go (no annotation, host access off) is a dial failure, not a resolution one.
      if (e instanceof Error && e.name === 'DialError') throw new ServiceDialError(e.message, 'dial');
      throw new ServiceDialError(resolveErrorText(e, target.name, target.port), 'resolve');
    }
    const { dialErrorText } = await import('./streaming/proxy.ts');
    return new Promise<Duplex>((resolve, reject) => {
      if (signal?.aborted) { reject(new ServiceDialError('context canceled', 'dial')); return; }
      const socket = connect({ host: addr.host, port: addr.port });
      const onAbort = () => { socket.destroy(); reject(new ServiceDialError('context canceled', 'dial')); };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        resolve(socket);
      });
      const onError = (e: Error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new ServiceDialError(dialErrorText(e, addr.host, addr.port), 'dial'));
      };
      socket.once('error', onError);
    });
  };
}
