// The apps/v1 workload controllers this package provides.

import type { ControllerContext } from '../context.ts';
import { startDaemonSetController } from './daemonset.ts';
import { startStatefulSetController } from './statefulset.ts';

export { startDaemonSetController } from './daemonset.ts';
export { startStatefulSetController } from './statefulset.ts';

/** Start the StatefulSet and DaemonSet controllers; returns a function that stops both. */
export function startAppsControllers(ctx: ControllerContext): () => void {
  const stops = [startStatefulSetController(ctx), startDaemonSetController(ctx)];
  return () => { for (const s of stops) s(); };
}
