// Installing an admission plugin on a cluster's store for as long as the
// cluster is open (or until the returned function is called).
import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import type { VirtualCluster } from '../cluster.ts';

/** Add `plugin` to the cluster's admission chain; `release` runs once when it leaves (removal or the cluster closing). */
export function installPlugin(vc: VirtualCluster, plugin: AdmissionPlugin, release: () => void): () => void {
  vc.store.admission.push(plugin);
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    release();
    const i = vc.store.admission.indexOf(plugin);
    if (i >= 0) vc.store.admission.splice(i, 1);
  };
  const cancel = vc.whenClosed(stop);
  return () => { cancel(); stop(); };
}
