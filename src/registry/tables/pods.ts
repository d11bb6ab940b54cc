// Pod and PodTemplate tables.

import type { KubeObject } from '../../api/types.ts';
import type { TableDef } from '../types.ts';
import {
  age, ageColumn, arr, column, containerCells, formatLabels, humanDuration, int, isObj, isZeroTime,
  nameColumn, nameOf, parseTime, rec, str, wide,
} from './format.ts';

/** Status reason the node lifecycle controller gives pods on unreachable nodes. */
const NODE_LOST = 'NodeLost';

function isRestartable(container: unknown): boolean {
  return isObj(container) && container.restartPolicy === 'Always';
}

function conditionTrue(conditions: unknown, type: string): boolean {
  for (const c of arr(conditions)) {
    const cond = rec(c);
    if (cond.type === type) return cond.status === 'True';
  }
  return false;
}

function hasReadyCondition(conditions: unknown): boolean {
  return arr(conditions).some((c) => rec(c).type === 'Ready' && rec(c).status === 'True');
}

/** When a container last finished before its current run, if known. */
function lastTermination(cs: Record<string, unknown>): number | undefined {
  const terminated = rec(cs.lastState).terminated;
  if (!isObj(terminated)) return undefined;
  const t = parseTime(terminated.finishedAt);
  return isZeroTime(t) ? undefined : t;
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  return a === undefined || a < b ? b : a;
}

function exitText(prefix: string, terminated: Record<string, unknown>): string {
  const signal = int(terminated.signal);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${int(terminated.exitCode)}`;
}

/** READY, STATUS and RESTARTS as kubectl shows them. */
export function podSummary(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;

  for (const c of arr(status.conditions)) {
    const cond = rec(c);
    if (cond.type === 'PodScheduled' && cond.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpecs = arr(spec.initContainers).map(rec);
  const initByName = new Map(initSpecs.map((c) => [str(c.name), c]));
  const total = arr(spec.containers).length + initSpecs.filter(isRestartable).length;
  let ready = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestart: number | undefined;

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses).map(rec);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const finished = lastTermination(cs);
    restarts += int(cs.restartCount);
    lastRestart = later(lastRestart, finished);
    const sidecar = isRestartable(initByName.get(str(cs.name)));
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, finished);
    }
    const state = rec(cs.state);
    const terminated = isObj(state.terminated) ? state.terminated : undefined;
    const waiting = isObj(state.waiting) ? state.waiting : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) {
      reason = str(terminated.reason) ? `Init:${str(terminated.reason)}` : exitText('Init:', terminated);
    } else if (waiting && str(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses).map(rec);
    // Walk backwards so the first container's state has the last word.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += int(cs.restartCount);
      lastRestart = later(lastRestart, lastTermination(cs));
      const state = rec(cs.state);
      const terminated = isObj(state.terminated) ? state.terminated : undefined;
      const waiting = isObj(state.waiting) ? state.waiting : undefined;
      if (waiting && str(waiting.reason) !== '') {
        reason = str(waiting.reason);
      } else if (terminated && str(terminated.reason) !== '') {
        reason = str(terminated.reason);
      } else if (terminated) {
        reason = exitText('', terminated);
      } else if (cs.ready === true && isObj(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = hasReadyCondition(status.conditions) ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp) {
    if (status.reason === NODE_LOST) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartText = `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)`;
  }
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

function readinessGates(pod: KubeObject): string {
  const gates = arr(rec(pod.spec).readinessGates).map(rec);
  if (gates.length === 0) return '<none>';
  const conditions = arr(rec(pod.status).conditions).map(rec);
  let passing = 0;
  for (const gate of gates) {
    const cond = conditions.find((c) => c.type === gate.conditionType);
    if (cond?.status === 'True') passing++;
  }
  return `${passing}/${gates.length}`;
}

function podIP(pod: KubeObject): string {
  const status = rec(pod.status);
  return str(status.podIP) || str(rec(arr(status.podIPs)[0]).ip) || '<none>';
}

export const podTable: TableDef = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Ready containers out of all containers in the pod.'),
    column('Status', 'string', 'Summary of the pod phase and its containers\' states.'),
    column('Restarts', 'string', 'Container restarts, and how long ago the latest one happened.'),
    ageColumn(),
    wide('IP', 'string', 'The pod\'s primary IP address.'),
    wide('Node', 'string', 'The node the pod is bound to.'),
    wide('Nominated Node', 'string', 'The node preemption has reserved for the pod.'),
    wide('Readiness Gates', 'string', 'Readiness gate conditions that are true, out of all gates.'),
  ],
  cells(pod, now) {
    const s = podSummary(pod, now);
    return [
      nameOf(pod), s.ready, s.status, s.restarts, age(pod, now),
      podIP(pod),
      str(rec(pod.spec).nodeName) || '<none>',
      str(rec(pod.status).nominatedNodeName) || '<none>',
      readinessGates(pod),
    ];
  },
};

export const podTemplateTable: TableDef = {
  columns: [
    nameColumn(),
    column('Containers', 'string', 'Container names from the template.'),
    column('Images', 'string', 'Container images from the template.'),
    column('Pod Labels', 'string', 'Labels the template puts on its pods.'),
  ],
  cells(obj) {
    const template = rec(obj.template);
    const [names, images] = containerCells(rec(template.spec).containers);
    return [nameOf(obj), names, images, formatLabels(rec(template.metadata).labels)];
  },
};
