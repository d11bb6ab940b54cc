// Workload controller tables: Deployment, ReplicaSet, StatefulSet, DaemonSet,
// ReplicationController, Job, CronJob, ControllerRevision.

import type { KubeObject } from '../../api/types.ts';
import type { TableDef } from '../types.ts';
import {
  CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN, age, ageColumn, arr, at, column, conditionStatus,
  containerCells, formatLabelSelector, formatLabels, humanDuration, int, isZeroTime, nameColumn, nameOf,
  parseTime, rec, selectorString, str, templateContainers, translateTimestampSince,
} from './format.ts';

/** spec.replicas, which the server defaults to 1. */
function desiredReplicas(obj: KubeObject): number {
  const r = rec(obj.spec).replicas;
  return typeof r === 'number' ? Math.trunc(r) : 1;
}

function status(obj: KubeObject): Record<string, unknown> {
  return rec(obj.status);
}

export const deploymentTable: TableDef = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Ready pods out of desired pods.'),
    column('Up-to-date', 'string', 'Pods running the latest pod template.'),
    column('Available', 'string', 'Pods available to serve.'),
    ageColumn(),
    CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells(obj, now) {
    const st = status(obj);
    const spec = rec(obj.spec);
    const [names, images] = containerCells(templateContainers(spec));
    const selector = spec.selector === undefined || spec.selector === null ? '' : selectorString(spec.selector);
    return [
      nameOf(obj), `${int(st.readyReplicas)}/${desiredReplicas(obj)}`, int(st.updatedReplicas),
      int(st.availableReplicas), age(obj, now), names, images, selector ?? '<invalid>',
    ];
  },
};

function replicaCountsTable(selector: (spec: Record<string, unknown>) => string): TableDef {
  return {
    columns: [
      nameColumn(),
      column('Desired', 'integer', 'Number of pods asked for.'),
      column('Current', 'integer', 'Number of pods that exist.'),
      column('Ready', 'integer', 'Number of pods that are ready.'),
      ageColumn(),
      CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
    ],
    cells(obj, now) {
      const st = status(obj);
      const spec = rec(obj.spec);
      const [names, images] = containerCells(templateContainers(spec));
      return [
        nameOf(obj), desiredReplicas(obj), int(st.replicas), int(st.readyReplicas), age(obj, now),
        names, images, selector(spec),
      ];
    },
  };
}

export const replicaSetTable = replicaCountsTable((spec) => formatLabelSelector(spec.selector));

/** ReplicationController selectors are plain label maps. */
export const replicationControllerTable = replicaCountsTable((spec) => formatLabels(spec.selector));

export const statefulSetTable: TableDef = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Ready pods out of desired pods.'),
    ageColumn(),
    CONTAINERS_COLUMN, IMAGES_COLUMN,
  ],
  cells(obj, now) {
    const [names, images] = containerCells(templateContainers(obj.spec));
    return [nameOf(obj), `${int(status(obj).readyReplicas)}/${desiredReplicas(obj)}`, age(obj, now), names, images];
  },
};

export const daemonSetTable: TableDef = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Nodes that should run the daemon pod.'),
    column('Current', 'integer', 'Nodes running at least one daemon pod.'),
    column('Ready', 'integer', 'Nodes whose daemon pod is ready.'),
    column('Up-to-date', 'integer', 'Nodes running the latest daemon pod template.'),
    column('Available', 'integer', 'Nodes whose daemon pod is available.'),
    column('Node Selector', 'string', 'Node labels the daemon pods are restricted to.'),
    ageColumn(),
    CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells(obj, now) {
    const st = status(obj);
    const spec = rec(obj.spec);
    const [names, images] = containerCells(templateContainers(spec));
    return [
      nameOf(obj), int(st.desiredNumberScheduled), int(st.currentNumberScheduled), int(st.numberReady),
      int(st.updatedNumberScheduled), int(st.numberAvailable),
      formatLabels(at(spec, 'template', 'spec', 'nodeSelector')), age(obj, now),
      names, images, formatLabelSelector(spec.selector),
    ];
  },
};

function jobStatus(obj: KubeObject): string {
  const conditions = status(obj).conditions;
  const isTrue = (type: string) => conditionStatus(conditions, type) === 'True';
  if (isTrue('Complete')) return 'Complete';
  if (isTrue('Failed')) return 'Failed';
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  if (isTrue('Suspended')) return 'Suspended';
  if (isTrue('FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(obj: KubeObject): string {
  const spec = rec(obj.spec);
  const succeeded = int(status(obj).succeeded);
  if (typeof spec.completions === 'number') return `${succeeded}/${Math.trunc(spec.completions)}`;
  const parallelism = int(spec.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(obj: KubeObject, now: Date): string {
  const st = status(obj);
  const start = parseTime(st.startTime);
  if (isZeroTime(start)) return '';
  const end = parseTime(st.completionTime);
  return humanDuration((isZeroTime(end) ? now.getTime() : end) - start);
}

export const jobTable: TableDef = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Overall state of the job.'),
    column('Completions', 'string', 'Successful completions out of those required.'),
    column('Duration', 'string', 'How long the job ran, or has been running.'),
    ageColumn(),
    CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const [names, images] = containerCells(templateContainers(spec));
    return [
      nameOf(obj), jobStatus(obj), jobCompletions(obj), jobDuration(obj, now), age(obj, now),
      names, images, formatLabelSelector(spec.selector),
    ];
  },
};

export const cronJobTable: TableDef = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'Cron schedule for creating jobs.'),
    column('Timezone', 'string', 'Time zone the schedule is read in.'),
    column('Suspend', 'boolean', 'Whether new runs are held back.'),
    column('Active', 'integer', 'Jobs currently running.'),
    column('Last Schedule', 'string', 'Time since a job was last scheduled.'),
    ageColumn(),
    CONTAINERS_COLUMN, IMAGES_COLUMN, SELECTOR_COLUMN,
  ],
  cells(obj, now) {
    const spec = rec(obj.spec);
    const st = status(obj);
    const jobSpec = at(spec, 'jobTemplate', 'spec');
    const [names, images] = containerCells(templateContainers(jobSpec));
    const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
    const last = st.lastScheduleTime === undefined || st.lastScheduleTime === null
      ? '<none>'
      : translateTimestampSince(str(st.lastScheduleTime), now);
    return [
      nameOf(obj), str(spec.schedule), typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
      suspend, arr(st.active).length, last, age(obj, now),
      names, images, formatLabelSelector(rec(jobSpec).selector),
    ];
  },
};

/** "statefulset.apps/web": lower-cased Kind.group of the controlling owner. */
function controllerName(obj: KubeObject): string {
  const owner = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!owner) return '<none>';
  const apiVersion = owner.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (!owner.kind && !group) return owner.name;
  const groupKind = group ? `${owner.kind}.${group}` : owner.kind;
  return `${groupKind.toLowerCase()}/${owner.name}`;
}

export const controllerRevisionTable: TableDef = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'The controller that owns this revision.'),
    column('Revision', 'string', 'Revision number of the stored state.'),
    ageColumn(),
  ],
  cells(obj, now) {
    return [nameOf(obj), controllerName(obj), int(obj.revision), age(obj, now)];
  },
};
