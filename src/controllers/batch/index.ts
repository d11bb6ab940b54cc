// The batch/v1 controllers: Jobs, CronJobs, and the deletion of finished Jobs
// after their TTL. Each start function returns a function that stops it.

export { startJobController, jobTrackingFinalizer } from './job.ts';
export { startCronJobController, scheduledTimestampAnnotation } from './cronjob.ts';
export { startTTLAfterFinishedController } from './ttl.ts';
