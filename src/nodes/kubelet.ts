// What a simulated kubelet does with one pod: a small container runtime in
// memory (sandbox, init containers in order, sidecars, app containers, ephemeral
// containers added later, exits, restarts with crash-loop back-off, graceful
// stop) advanced to "now", and the
// pod status a kubelet would report for it. No I/O here: the simulator feeds it
// time and pods, writes the status it renders, and records the events it emits.

import { createHash, randomBytes } from 'node:crypto';
import type { KubeObject } from '../api/types.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import type { Container, ContainerState, ContainerStatus, PodCondition, PodSpec, PodStatus } from './api.ts';
import { podSpec, podStatus } from './api.ts';
import { completeAfterMs, failAnnotation, neverReadyAnnotation, ownedByJob, selectedContainers, selects, startDelayMs } from './annotations.ts';
import { deepCopy } from '../api/json-copy.ts';

export interface KubeletTiming {
  /** Sandbox, network and image pull: how long a new pod shows ContainerCreating. */
  startupMs: number;
  /** How long each (run-to-completion) init container runs. */
  initContainerMs: number;
  /** How long the containers of a Job's pod run before exiting 0. */
  jobDurationMs: number;
  /** How long a container marked to fail runs before exiting 1 (when no complete-after is given). */
  failAfterMs: number;
  /** How long containers take to stop after a graceful delete (never longer than the grace period). */
  terminationMs: number;
  /** Crash-loop back-off: the delay before the second restart, doubling after that. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const defaultTiming: KubeletTiming = {
  startupMs: 500,
  initContainerMs: 200,
  jobDurationMs: 1000,
  failAfterMs: 1000,
  terminationMs: 500,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
};

export interface KubeletEvent {
  type: 'Normal' | 'Warning'; reason: string; message: string;
  /** The container it is about, as upstream's kubelet names it in involvedObject.fieldPath: `spec.containers{web}`. */
  fieldPath?: string;
}

/** Where a container sits in the pod's spec, as event field paths name it. */
function fieldPathOf(c: { kind: string; name: string }): string {
  const list = c.kind === 'app' ? 'containers' : c.kind === 'ephemeral' ? 'ephemeralContainers' : 'initContainers';
  return `spec.${list}{${c.name}}`;
}

/** What the kubelet needs from its node. */
export interface NodeEnv {
  readonly name: string;
  readonly hostIP: string;
  allocateIP(): string | undefined;
  releaseIP(ip: string | undefined): void;
  reserveIP(ip: string): void;
  /** Whether the node already holds `image`; records that it does from now on. */
  pullImage(image: string): boolean;
}

/** Ephemeral containers (pods/ephemeralcontainers) start when added and are never restarted. */
type Kind = 'init' | 'sidecar' | 'app' | 'ephemeral';

interface Termination { exitCode: number; reason: string; startedAt: number; finishedAt: number; containerID: string }

interface Ctr {
  name: string;
  kind: Kind;
  spec: Container;
  state: 'waiting' | 'running' | 'terminated';
  /** Waiting: why (ContainerCreating, PodInitializing, CrashLoopBackOff). */
  reason: string;
  message?: string;
  containerID?: string;
  image?: string;
  imageID?: string;
  startedAt?: number;
  /** Running: when the container exits on its own, if it does. */
  exitAt?: number;
  exitCode?: number;
  /** Running: when it turns ready, if ever. */
  readyAt?: number;
  /** Terminated (this instance). */
  term?: Termination;
  /** The previous instance's termination, once the container has restarted or waits to. */
  last?: Termination;
  restartCount: number;
  /** Exits that led to a restart (drives the back-off). */
  crashes: number;
  /** Waiting to restart: when. */
  restartAt?: number;
  /** Ephemeral: when the kubelet saw it in the spec (it starts then, once the sandbox is up). */
  addedAt?: number;
}

export interface PodRuntime {
  readonly uid: string;
  readonly admittedAt: number;
  /** When the sandbox is up and containers may start. */
  readonly startAt: number;
  sandboxReady: boolean;
  ip?: string;
  readonly ctrs: Ctr[];
  /** Graceful deletion in progress: containers stop at this time. */
  killAt?: number;
  terminal?: 'Succeeded' | 'Failed';
  reason?: string;
  message?: string;
  /** The kubelet asked the API server to remove the pod. */
  deleteRequested: boolean;
}

const restartable = (c: Container) => c.restartPolicy === 'Always';

function containerID(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

/** The image reference a container runtime reports ("nginx" is docker.io/library/nginx:latest). */
export function normalizeImage(image: string): string {
  let ref = image;
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at) : '';
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.indexOf('/');
  const first = slash >= 0 ? ref.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = `docker.io/${slash >= 0 ? '' : 'library/'}${ref}`;
  const lastSlash = ref.lastIndexOf('/');
  if (!digest && !ref.slice(lastSlash + 1).includes(':')) ref += ':latest';
  return ref + digest;
}

function imageID(normalized: string): string {
  const at = normalized.indexOf('@');
  if (at >= 0) return normalized;
  const repo = normalized.replace(/:[^:/]+$/, '');
  return `${repo}@sha256:${createHash('sha256').update(normalized).digest('hex')}`;
}

/** Go's time.Duration formatting for whole milliseconds ("10s", "1m20s", "5m0s", "500ms"). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSec = ms / 1000;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec - h * 3600 - m * 60;
  const sec = Number.isInteger(s) ? String(s) : String(Number(s.toFixed(3)));
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

function podRef(pod: KubeObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

function newCtr(spec: Container, kind: Kind): Ctr {
  const reason = kind === 'app' || kind === 'ephemeral' ? 'ContainerCreating' : 'PodInitializing';
  return { name: spec.name, kind, spec, state: 'waiting', reason, restartCount: 0, crashes: 0 };
}

/** Init containers and sidecars: what runs before (and beside) the app containers. */
const isInit = (c: Ctr) => c.kind === 'init' || c.kind === 'sidecar';

/** Take on the ephemeral containers of the spec the runtime does not know yet. */
function addEphemeral(rt: PodRuntime, spec: PodSpec, now: number): void {
  for (const c of spec.ephemeralContainers ?? []) {
    if (rt.ctrs.some((x) => x.name === c.name)) continue;
    rt.ctrs.push({ ...newCtr(c, 'ephemeral'), addedAt: now });
  }
}

function parseTime(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Start tracking a pod the kubelet has just been given. */
export function admitPod(pod: KubeObject, now: number, timing: KubeletTiming): PodRuntime {
  const spec = podSpec(pod);
  const ctrs: Ctr[] = [
    ...(spec.initContainers ?? []).map((c) => newCtr(c, restartable(c) ? 'sidecar' : 'init')),
    ...(spec.containers ?? []).map((c) => newCtr(c, 'app')),
  ];
  // Before they are created, app containers wait in ContainerCreating, or PodInitializing behind init containers.
  if ((spec.initContainers ?? []).length > 0) for (const c of ctrs) c.reason = 'PodInitializing';
  const rt: PodRuntime = {
    uid: pod.metadata.uid as string, admittedAt: now, startAt: now + startDelayMs(pod) + timing.startupMs,
    sandboxReady: false, ctrs, deleteRequested: false,
  };
  addEphemeral(rt, spec, now);
  return rt;
}

function termFromStatus(t: ContainerState['terminated'] | undefined, fallback: number): Termination | undefined {
  if (!t) return undefined;
  return {
    exitCode: t.exitCode, reason: t.reason ?? (t.exitCode === 0 ? 'Completed' : 'Error'),
    startedAt: parseTime(t.startedAt) ?? fallback, finishedAt: parseTime(t.finishedAt) ?? fallback, containerID: t.containerID ?? containerID(),
  };
}

/**
 * Take over a pod the kubelet finds already running (the server restarted):
 * containers continue from what the pod's status says.
 */
export function adoptPod(pod: KubeObject, now: number, timing: KubeletTiming, env: NodeEnv): PodRuntime {
  const rt = admitPod(pod, now, timing);
  const st = podStatus(pod);
  const started = parseTime(st.startTime);
  const statuses = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? []), ...(st.ephemeralContainerStatuses ?? [])];
  if (started === undefined || !st.podIP) return rt;
  const out: PodRuntime = { ...rt, admittedAt: started, startAt: started, sandboxReady: true, ip: st.podIP };
  if (!podSpec(pod).hostNetwork) env.reserveIP(st.podIP);
  const plan = lifePlan(pod, timing);
  for (const c of out.ctrs) {
    const s = statuses.find((x) => x.name === c.name);
    if (!s) continue;
    c.restartCount = s.restartCount ?? 0;
    c.crashes = c.restartCount;
    c.containerID = s.containerID;
    c.image = s.image;
    c.imageID = s.imageID;
    c.last = termFromStatus(s.lastState?.terminated, now);
    if (s.state?.running) {
      c.state = 'running';
      c.startedAt = parseTime(s.state.running.startedAt) ?? now;
      planRun(c, c.startedAt, plan);
    } else if (s.state?.terminated) {
      c.state = 'terminated';
      c.term = termFromStatus(s.state.terminated, now);
      c.exitCode = c.term?.exitCode;
    } else if (s.state?.waiting?.reason === 'CrashLoopBackOff') {
      c.reason = 'CrashLoopBackOff';
      c.message = s.state.waiting.message;
      c.restartAt = now + backoffDelay(c.crashes + 1, timing);
    }
  }
  if (st.phase === 'Succeeded' || st.phase === 'Failed') out.terminal = st.phase;
  return out;
}

interface Plan {
  fail: 'all' | Set<string> | undefined;
  neverReady: 'all' | Set<string> | undefined;
  completeAfter: number | undefined;
  job: boolean;
  timing: KubeletTiming;
}

function lifePlan(pod: KubeObject, timing: KubeletTiming): Plan {
  return {
    fail: selectedContainers(pod, failAnnotation),
    neverReady: selectedContainers(pod, neverReadyAnnotation),
    completeAfter: completeAfterMs(pod),
    job: ownedByJob(pod),
    timing,
  };
}

/** Decide when a container that starts at `t` exits and turns ready. */
function planRun(c: Ctr, t: number, plan: Plan): void {
  const isApp = c.kind === 'app';
  const fails = selects(plan.fail, c.name, isApp);
  c.exitCode = fails ? 1 : 0;
  if (c.kind === 'init') {
    c.exitAt = t + (fails ? plan.timing.failAfterMs : plan.timing.initContainerMs);
  } else if (c.kind === 'ephemeral') {
    // A debugging container runs until the pod stops, unless kubevisor.dev/fail names it.
    c.exitAt = fails ? t + (plan.completeAfter ?? plan.timing.failAfterMs) : undefined;
  } else if (c.kind === 'sidecar') {
    c.exitAt = fails ? t + (plan.completeAfter ?? plan.timing.failAfterMs) : undefined;
  } else if (plan.completeAfter !== undefined) {
    c.exitAt = t + plan.completeAfter;
  } else if (fails) {
    c.exitAt = t + plan.timing.failAfterMs;
  } else {
    c.exitAt = plan.job ? t + plan.timing.jobDurationMs : undefined;
  }
  const neverReady = selects(plan.neverReady, c.name, c.kind !== 'init');
  // Ephemeral containers have no probes and never count as ready.
  if (c.kind === 'init' || c.kind === 'ephemeral' || neverReady) c.readyAt = undefined;
  else c.readyAt = t + (c.spec.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
}

function backoffDelay(crashes: number, timing: KubeletTiming): number {
  if (crashes <= 1) return 0;
  return Math.min(timing.backoffBaseMs * 2 ** (crashes - 2), timing.backoffMaxMs);
}

/** Advance the pod's containers through everything due by `now`. */
export function advance(rt: PodRuntime, pod: KubeObject, now: number, env: NodeEnv, timing: KubeletTiming): KubeletEvent[] {
  const events: KubeletEvent[] = [];
  if (rt.terminal) return events;
  const spec = podSpec(pod);
  const plan = lifePlan(pod, timing);
  const ref = podRef(pod);
  if (!pod.metadata.deletionTimestamp) addEphemeral(rt, spec, now);

  const start = (c: Ctr, t: number) => {
    const image = c.spec.image ?? '';
    const policy = c.spec.imagePullPolicy ?? 'IfNotPresent';
    const present = env.pullImage(image);
    if (policy === 'Always' || !present) {
      const pullMs = Math.max(1, Math.round(timing.startupMs * 0.6));
      const size = 20_000_000 + (createHash('sha256').update(image).digest().readUInt32BE(0) % 80_000_000);
      events.push({ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"`, fieldPath: fieldPathOf(c) });
      events.push({ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${goDuration(pullMs)} (${goDuration(pullMs)} including waiting). Image size: ${size} bytes.`, fieldPath: fieldPathOf(c) });
    } else {
      events.push({ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine`, fieldPath: fieldPathOf(c) });
    }
    events.push({ type: 'Normal', reason: 'Created', message: `Created container: ${c.name}`, fieldPath: fieldPathOf(c) });
    events.push({ type: 'Normal', reason: 'Started', message: `Started container ${c.name}`, fieldPath: fieldPathOf(c) });
    if (c.term) { c.last = c.term; c.restartCount++; }
    c.term = undefined;
    c.state = 'running';
    c.reason = '';
    c.message = undefined;
    c.restartAt = undefined;
    c.containerID = containerID();
    c.image = normalizeImage(image);
    c.imageID = imageID(c.image);
    c.startedAt = t;
    planRun(c, t, plan);
  };

  const exit = (c: Ctr, t: number, exitCode: number, reason?: string) => {
    c.state = 'terminated';
    c.term = {
      exitCode, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      startedAt: c.startedAt ?? t, finishedAt: t, containerID: c.containerID ?? containerID(),
    };
    c.exitAt = undefined;
    c.readyAt = undefined;
  };

  /** After an exit at `t`: schedule the restart the policy calls for; false when the container stays down. */
  const maybeRestart = (c: Ctr, t: number): boolean => {
    const code = c.term?.exitCode ?? 0;
    const policy = spec.restartPolicy ?? 'Always';
    const again = c.kind === 'ephemeral' ? false : c.kind === 'sidecar' ? true
      : c.kind === 'init' ? code !== 0 && policy !== 'Never'
        : policy === 'Always' || (policy === 'OnFailure' && code !== 0);
    if (!again) return false;
    c.crashes++;
    const delay = backoffDelay(c.crashes, timing);
    c.restartAt = t + delay;
    if (delay > 0) {
      c.state = 'waiting';
      c.last = c.term;
      c.reason = 'CrashLoopBackOff';
      c.message = `back-off ${goDuration(delay)} restarting failed container=${c.name} pod=${ref}`;
      events.push({ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${c.name} in pod ${ref}`, fieldPath: fieldPathOf(c) });
    }
    return true;
  };

  const stopAll = (t: number, exitCode: number, reason?: string) => {
    for (const c of rt.ctrs) {
      if (c.state === 'running') exit(c, t, exitCode, reason);
      else if (c.state === 'waiting' && c.term) { c.state = 'terminated'; c.restartAt = undefined; c.reason = ''; }
      c.restartAt = undefined;
    }
  };

  // A graceful delete: stop the containers, then report the final phase.
  if (pod.metadata.deletionTimestamp && rt.killAt === undefined) {
    const grace = Math.max(0, (pod.metadata.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30) * 1000);
    rt.killAt = now + Math.min(grace, timing.terminationMs);
    for (const c of rt.ctrs) {
      if (c.state === 'running') events.push({ type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}`, fieldPath: fieldPathOf(c) });
    }
  }
  if (rt.killAt !== undefined) {
    if (now < rt.killAt) return events;
    stopAll(rt.killAt, 0);
    const apps = rt.ctrs.filter((c) => c.kind === 'app');
    rt.terminal = apps.every((c) => c.state === 'terminated' && c.term?.exitCode === 0) ? 'Succeeded' : 'Failed';
    return events;
  }

  // activeDeadlineSeconds, counted from when the kubelet admitted the pod.
  if (spec.activeDeadlineSeconds !== undefined && now >= rt.admittedAt + spec.activeDeadlineSeconds * 1000) {
    const t = rt.admittedAt + spec.activeDeadlineSeconds * 1000;
    for (const c of rt.ctrs) {
      if (c.state === 'running') events.push({ type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}`, fieldPath: fieldPathOf(c) });
    }
    stopAll(t, 137, 'Error');
    rt.terminal = 'Failed';
    rt.reason = 'DeadlineExceeded';
    rt.message = 'Pod was active on the node longer than the specified deadline';
    return events;
  }

  if (!rt.sandboxReady) {
    if (now < rt.startAt) return events;
    rt.sandboxReady = true;
    rt.ip = spec.hostNetwork ? env.hostIP : env.allocateIP();
  }

  // Transitions in time order: each pass applies the earliest one due.
  for (let guard = 0; guard < 10_000; guard++) {
    const next = nextTransition(rt);
    if (!next || next.at > now) break;
    const { c, at, what } = next;
    if (what === 'start') start(c, at);
    else if (what === 'exit') {
      exit(c, at, c.exitCode ?? 0);
      if (!maybeRestart(c, at) && c.kind === 'init' && c.term?.exitCode !== 0) {
        // A failed init container under restartPolicy Never fails the pod.
        rt.terminal = 'Failed';
        stopAll(at, 0);
        break;
      }
    }
    // Once every regular container is done for good, sidecars (and ephemeral containers) are stopped and the pod finishes.
    const phase = phaseOf(rt, spec);
    if (phase === 'Succeeded' || phase === 'Failed') {
      for (const s of rt.ctrs) {
        if ((s.kind === 'sidecar' || s.kind === 'ephemeral') && s.state === 'running') {
          events.push({ type: 'Normal', reason: 'Killing', message: `Stopping container ${s.name}`, fieldPath: fieldPathOf(s) });
          exit(s, at, 0);
        }
        s.restartAt = undefined;
      }
      rt.terminal = phase;
      break;
    }
  }
  return events;
}

interface Transition { c: Ctr; at: number; what: 'start' | 'exit' }

/** The earliest container start or exit the runtime has pending. */
function nextTransition(rt: PodRuntime): Transition | undefined {
  let best: Transition | undefined;
  const consider = (t: Transition) => { if (!best || t.at < best.at) best = t; };
  // Init containers start one after another; sidecars count as done once started.
  let readyFrom = rt.startAt;
  let initDone = true;
  for (const c of rt.ctrs) {
    if (!isInit(c)) continue;
    if (c.state === 'running' && c.exitAt !== undefined) consider({ c, at: c.exitAt, what: 'exit' });
    if (c.kind === 'sidecar') {
      if (c.state === 'running') { readyFrom = Math.max(readyFrom, c.startedAt ?? readyFrom); continue; }
      if (c.restartAt !== undefined) {
        consider({ c, at: Math.max(c.restartAt, readyFrom), what: 'start' });
        if (c.startedAt !== undefined) continue; // a restarting sidecar does not block what follows
      } else if (c.startedAt === undefined) {
        consider({ c, at: readyFrom, what: 'start' });
      }
      initDone = false;
      break;
    }
    if (c.state === 'terminated' && c.term?.exitCode === 0) { readyFrom = Math.max(readyFrom, c.term.finishedAt); continue; }
    if (c.state !== 'running') {
      if (c.restartAt !== undefined) consider({ c, at: Math.max(c.restartAt, readyFrom), what: 'start' });
      else if (c.startedAt === undefined) consider({ c, at: readyFrom, what: 'start' });
    }
    initDone = false;
    break;
  }
  for (const c of rt.ctrs) {
    if (c.kind !== 'app') continue;
    if (c.state === 'running') {
      if (c.exitAt !== undefined) consider({ c, at: c.exitAt, what: 'exit' });
    } else if (initDone || c.startedAt !== undefined) {
      if (c.restartAt !== undefined) consider({ c, at: c.restartAt, what: 'start' });
      else if (c.startedAt === undefined && initDone) consider({ c, at: readyFrom, what: 'start' });
    }
  }
  // Ephemeral containers start as soon as they are added (init containers need not be done), once.
  for (const c of rt.ctrs) {
    if (c.kind !== 'ephemeral') continue;
    if (c.state === 'running' && c.exitAt !== undefined) consider({ c, at: c.exitAt, what: 'exit' });
    else if (c.state === 'waiting' && c.startedAt === undefined) consider({ c, at: Math.max(rt.startAt, c.addedAt ?? rt.startAt), what: 'start' });
  }
  return best;
}

/** When the pod next needs the kubelet's attention (a transition or a container turning ready). */
export function nextWake(rt: PodRuntime, pod: KubeObject, now: number): number | undefined {
  if (rt.terminal) return undefined;
  if (rt.killAt !== undefined) return rt.killAt;
  let at = Infinity;
  const spec = podSpec(pod);
  if (spec.activeDeadlineSeconds !== undefined) at = rt.admittedAt + spec.activeDeadlineSeconds * 1000;
  if (!rt.sandboxReady) return Math.min(at, rt.startAt);
  const t = nextTransition(rt);
  if (t) at = Math.min(at, t.at);
  for (const c of rt.ctrs) if (c.state === 'running' && c.readyAt !== undefined && c.readyAt > now) at = Math.min(at, c.readyAt);
  return at === Infinity ? undefined : at;
}

/** The pod phase the containers add up to (upstream's getPhase). */
function phaseOf(rt: PodRuntime, spec: PodSpec): NonNullable<PodStatus['phase']> {
  if (rt.terminal) return rt.terminal;
  const init = rt.ctrs.filter(isInit);
  const initDone = init.every((c) => c.kind === 'sidecar' ? c.startedAt !== undefined : c.state === 'terminated' && c.term?.exitCode === 0);
  if (!initDone) return 'Pending';
  let waiting = 0, running = 0, stopped = 0, succeeded = 0;
  for (const c of rt.ctrs) {
    if (c.kind !== 'app') continue;
    if (c.state === 'running') running++;
    else if (c.state === 'terminated') { stopped++; if (c.term?.exitCode === 0) succeeded++; }
    else if (c.last) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    const policy = spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function ctrReady(c: Ctr, now: number): boolean {
  if (c.kind === 'init') return c.state === 'terminated' && c.term?.exitCode === 0;
  if (c.kind === 'ephemeral') return false;
  return c.state === 'running' && c.readyAt !== undefined && c.readyAt <= now;
}

function termState(t: Termination): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode, reason: t.reason, startedAt: nowTimestamp(new Date(t.startedAt)),
      finishedAt: nowTimestamp(new Date(t.finishedAt)), containerID: t.containerID,
    },
  };
}

function containerStatus(c: Ctr, now: number): ContainerStatus {
  const s: ContainerStatus = {
    name: c.name, state: {}, lastState: c.last ? termState(c.last) : {}, ready: ctrReady(c, now),
    restartCount: c.restartCount, image: c.image ?? c.spec.image ?? '', imageID: c.imageID ?? '',
  };
  if (c.containerID) s.containerID = c.containerID;
  if (c.state === 'running') s.state = { running: { startedAt: nowTimestamp(new Date(c.startedAt ?? now)) } };
  else if (c.state === 'terminated' && c.term) s.state = termState(c.term);
  else s.state = { waiting: c.message ? { reason: c.reason, message: c.message } : { reason: c.reason } };
  // The prober reports `started` for regular and init containers only.
  if (c.kind !== 'ephemeral') s.started = c.state === 'running';
  const res = c.spec.resources;
  if (c.state !== 'waiting' || c.containerID) {
    if (res && (res.requests || res.limits)) {
      s.resources = deepCopy(res) as unknown;
      if (res.requests) s.allocatedResources = deepCopy(res.requests) as unknown;
    }
    const mounts = (c.spec.volumeMounts ?? []).map((m) => {
      const out: Record<string, unknown> = { name: m.name, mountPath: m.mountPath };
      if (m.readOnly) { out.readOnly = true; out.recursiveReadOnly = 'Disabled'; }
      return out;
    });
    if (mounts.length > 0) s.volumeMounts = mounts;
  }
  return s;
}

/** Conditions only the kubelet writes; everything else in status.conditions is kept as it is. */
const kubeletConditions = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  const c: PodCondition = { type, status: ok ? 'True' : 'False' };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

const nameList = (names: string[]) => `[${names.join(' ')}]`;

/** The status the kubelet reports for the pod now, given the current status (for what others own). */
export function renderStatus(rt: PodRuntime, pod: KubeObject, current: PodStatus, env: NodeEnv, now: number): PodStatus {
  const spec = podSpec(pod);
  const phase = phaseOf(rt, spec);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const ts = nowTimestamp(new Date(now));
  const gen = pod.metadata.generation;
  const inits = rt.ctrs.filter(isInit);
  const apps = rt.ctrs.filter((c) => c.kind === 'app');
  const ephemeral = rt.ctrs.filter((c) => c.kind === 'ephemeral');

  const conds: PodCondition[] = [];
  conds.push(condition('PodReadyToStartContainers', rt.sandboxReady && !terminal));
  const incomplete = inits.filter((c) => c.kind === 'sidecar' ? c.startedAt === undefined : !ctrReady(c, now)).map((c) => c.name);
  const anyAppStarted = apps.some((c) => c.startedAt !== undefined);
  if (phase === 'Succeeded') conds.push(condition('Initialized', true, 'PodCompleted'));
  else if (incomplete.length === 0 || anyAppStarted) conds.push(condition('Initialized', true));
  else conds.push(condition('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: ${nameList(incomplete)}`));
  let containersReady: PodCondition;
  if (terminal) {
    containersReady = condition('ContainersReady', false, phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed');
  } else {
    const unready = [...inits.filter((c) => c.kind === 'sidecar'), ...apps].filter((c) => !ctrReady(c, now)).map((c) => c.name);
    containersReady = unready.length > 0
      ? condition('ContainersReady', false, 'ContainersNotReady', `containers with unready status: ${nameList(unready)}`)
      : condition('ContainersReady', true);
  }
  let ready: PodCondition;
  if (containersReady.status !== 'True') {
    ready = { ...containersReady, type: 'Ready' };
  } else {
    const others = current.conditions ?? [];
    const unmet: string[] = [];
    for (const g of spec.readinessGates ?? []) {
      const c = others.find((x) => x.type === g.conditionType);
      if (!c) unmet.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
      else if (c.status !== 'True') unmet.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
    }
    ready = unmet.length > 0 ? condition('Ready', false, 'ReadinessGatesNotReady', unmet.join(', ')) : condition('Ready', true);
  }
  conds.push(ready, containersReady, condition('PodScheduled', true));

  const merged: PodCondition[] = (current.conditions ?? []).filter((c) => !kubeletConditions.has(c.type));
  for (const c of conds) {
    const prev = current.conditions?.find((x) => x.type === c.type);
    const out: PodCondition = { type: c.type, status: c.status };
    if (gen !== undefined) out.observedGeneration = gen;
    out.lastProbeTime = null;
    out.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : ts;
    if (c.reason) out.reason = c.reason;
    if (c.message) out.message = c.message;
    merged.push(out);
  }

  const next: PodStatus = { ...current };
  delete next.reason;
  delete next.message;
  if (gen !== undefined) next.observedGeneration = gen;
  next.phase = phase;
  next.conditions = merged;
  next.hostIP = env.hostIP;
  next.hostIPs = [{ ip: env.hostIP }];
  const ip = rt.ip ?? current.podIP;
  if (ip) { next.podIP = ip; next.podIPs = [{ ip }]; } else { delete next.podIP; delete next.podIPs; }
  next.startTime = current.startTime ?? nowTimestamp(new Date(rt.admittedAt));
  if (inits.length > 0) next.initContainerStatuses = inits.map((c) => containerStatus(c, now));
  else delete next.initContainerStatuses;
  const byName = (a: ContainerStatus, b: ContainerStatus) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  next.containerStatuses = apps.map((c) => containerStatus(c, now)).sort(byName);
  if (ephemeral.length > 0) next.ephemeralContainerStatuses = ephemeral.map((c) => containerStatus(c, now)).sort(byName);
  else delete next.ephemeralContainerStatuses;
  if (rt.reason) next.reason = rt.reason;
  if (rt.message) next.message = rt.message;
  return next;
}
