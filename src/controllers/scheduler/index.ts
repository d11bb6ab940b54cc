// The default scheduler of standalone clusters.

export { startScheduler, Scheduler, defaultSchedulerName } from './scheduler.ts';
export type { SchedulerOptions } from './scheduler.ts';
export { bindPod } from './bind.ts';
