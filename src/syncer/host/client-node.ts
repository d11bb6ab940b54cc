// The only place that loads `@kubernetes/client-node`. It is large (about
// 25 MB of heap once loaded), so a server without a host never loads it: the
// first host connection imports it, every later one reuses the module.

import type * as ClientNode from '@kubernetes/client-node';

export type { KubeConfig } from '@kubernetes/client-node';

let loading: Promise<typeof ClientNode> | undefined;

export function loadClientNode(): Promise<typeof ClientNode> {
  loading ??= import('@kubernetes/client-node');
  return loading;
}

/** Whether some host connection has loaded the library (for tests and memory reports). */
export function clientNodeLoaded(): boolean {
  return loading !== undefined;
}
