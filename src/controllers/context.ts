// What a controller gets: the cluster (store, watch cache, registry), lookups
// of resource declarations, an event recorder, and the time source.

import type { ResourceDef } from '../registry/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { EventRecorder } from './events.ts';

export interface ControllerContext {
  readonly vc: VirtualCluster;
  /** The declaration of a built-in resource; throws if the cluster does not serve it. */
  def(group: string, version: string, plural: string): ResourceDef;
  readonly events: EventRecorder;
  /** Now, as controllers see it (tests may replace it). */
  now(): Date;
}

export function controllerContext(vc: VirtualCluster, now: () => Date = () => new Date()): ControllerContext {
  return {
    vc,
    def(group, version, plural) {
      const d = vc.registry.find(group, version, plural);
      if (!d) throw new Error(`the cluster does not serve ${group || 'core'}/${version} ${plural}`);
      return d;
    },
    events: new EventRecorder(vc, now),
    now,
  };
}
