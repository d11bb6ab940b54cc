// The shapes of batch/v1 Job and CronJob fields the batch controllers read and
// write, and the small questions about a Job they all ask.

import type { KubeObject } from '../../api/types.ts';

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

export interface UncountedTerminatedPods { succeeded?: string[]; failed?: string[] }

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
  ready?: number;
}

export interface OnExitCodes { containerName?: string; operator?: string; values?: number[] }
export interface OnPodCondition { type?: string; status?: string }
export interface PodFailurePolicyRule { action?: string; onExitCodes?: OnExitCodes; onPodConditions?: OnPodCondition[] }
export interface SuccessPolicyRule { succeededIndexes?: string; succeededCount?: number }

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec?: Record<string, unknown> & { restartPolicy?: string };
}

export interface JobSpec {
  parallelism?: number | null;
  completions?: number | null;
  activeDeadlineSeconds?: number | null;
  backoffLimit?: number | null;
  backoffLimitPerIndex?: number | null;
  maxFailedIndexes?: number | null;
  selector?: unknown;
  template?: PodTemplate;
  completionMode?: string;
  suspend?: boolean;
  podFailurePolicy?: { rules?: PodFailurePolicyRule[] } | null;
  successPolicy?: { rules?: SuccessPolicyRule[] } | null;
  podReplacementPolicy?: string;
  managedBy?: string;
  ttlSecondsAfterFinished?: number | null;
}

/** The manager that marks Jobs this controller owns (or an unset spec.managedBy). */
export const jobControllerName = 'kubernetes.io/job-controller';
/** Who the controllers write as (managedFields), as kube-controller-manager does. */
export const fieldManager = 'kube-controller-manager';

export function jobSpec(job: KubeObject): JobSpec {
  return (job.spec ?? {}) as JobSpec;
}

export function jobStatus(job: KubeObject): JobStatus {
  return (job.status ?? {}) as JobStatus;
}

export function findCondition(list: JobCondition[] | undefined, type: string): JobCondition | undefined {
  return list?.find((c) => c.type === type);
}

/** The Complete or Failed condition that is True, if the Job finished. */
export function finishedCondition(job: KubeObject): JobCondition | undefined {
  return jobStatus(job).conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function isJobFinished(job: KubeObject): boolean {
  return finishedCondition(job) !== undefined;
}

export function managedByOther(job: KubeObject): boolean {
  const m = jobSpec(job).managedBy;
  return m !== undefined && m !== null && m !== jobControllerName;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
