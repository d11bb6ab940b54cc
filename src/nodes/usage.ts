// How much CPU and memory the simulated containers use, for the Metrics API
// (`kubectl top`). Nothing runs, so the numbers are made up, deterministically:
// the same pod, container and moment always give the same usage.
//
// - A container's usage is a share of its requests (CPU 20–60 %, memory
//   40–80 %, picked by a hash of the pod's uid and the container's name); with
//   only limits, a smaller share of those; with neither, a small idle default
//   (CPU 1–5m, memory 8–32Mi). It never exceeds a limit (memory stays under
//   95 % of it). CPU wobbles ±20 % over a period of 2–5 minutes, memory ±5 %
//   over 10–20 minutes, and CPU moves by up to ±3 % from one sample to the next,
//   so `kubectl top` changes as a real one does.
// - The pod annotations `kubevisor.dev/usage-cpu` and `kubevisor.dev/usage-memory`
//   set it exactly: a quantity for every container (`"250m"`), or
//   `NAME=QUANTITY` pairs for named ones (`"app=250m,sidecar=10m"`), or both
//   (`"5m,app=250m"`: app 250m, the others 5m).
// - A node uses what its pods use plus the system's share (kubelet, runtime,
//   daemons): CPU 50–150m, memory 600–900Mi, wobbling as well.
// - Samples are taken every 15 s (metrics-server's `--metric-resolution` in its
//   manifests); each covers the 15 s before it (`window: 15s`).

import type { KubeObject } from '../api/types.ts';
import { quantityValue } from '../server/metrics/quantity.ts';
import type { Container, ContainerStatus, PodSpec } from './api.ts';

export const usageCpuAnnotation = 'kubevisor.dev/usage-cpu';
export const usageMemoryAnnotation = 'kubevisor.dev/usage-memory';

/** The length of a sample, and the interval they are taken at. */
export const sampleWindowMs = 15_000;
export const sampleWindow = '15s';

/** The moment of the latest sample at `nowMs` (a multiple of the window). */
export function sampleTime(nowMs: number): number {
  return Math.floor(nowMs / sampleWindowMs) * sampleWindowMs;
}

/** Usage in nanocores and bytes. */
export interface Usage {
  cpu: number;
  memory: number;
}

export interface ContainerUsage extends Usage {
  name: string;
}

/** A number in [0, 1) from `parts` (FNV-1a, then an avalanche): the same parts, the same number. */
export function unitHash(...parts: string[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      h ^= p.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0xff;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** 1 ± `amplitude`, a sine of period `periodMs` (its phase from `seed`) at time `t`. */
function wobble(seed: string, amplitude: number, minPeriodMs: number, maxPeriodMs: number, t: number): number {
  const period = minPeriodMs + (maxPeriodMs - minPeriodMs) * unitHash(seed, 'period');
  const phase = 2 * Math.PI * unitHash(seed, 'phase');
  return 1 + amplitude * Math.sin((2 * Math.PI * t) / period + phase);
}

/** The per-sample jitter, ±`amplitude`. */
function jitter(seed: string, amplitude: number, t: number): number {
  return 1 + amplitude * (2 * unitHash(seed, 'sample', String(Math.floor(t / sampleWindowMs))) - 1);
}

const MI = 1024 * 1024;
const PAGE = 4096;

function amount(list: Record<string, string | number> | undefined, name: string): number | undefined {
  const v = list?.[name];
  if (v === undefined) return undefined;
  const q = quantityValue(String(v));
  return q !== undefined && q > 0 ? q : undefined;
}

/** What a usage annotation sets: a value for every container, and values for named ones (cores or bytes). */
export interface UsageOverride {
  all?: number;
  named: Map<string, number>;
}

/** Parse a `kubevisor.dev/usage-*` annotation; entries that are not quantities are ignored. */
export function parseUsageAnnotation(text: string | undefined): UsageOverride | undefined {
  if (text === undefined) return undefined;
  const out: UsageOverride = { named: new Map() };
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    const value = quantityValue(eq < 0 ? entry : entry.slice(eq + 1).trim());
    if (value === undefined || value < 0) continue;
    if (eq < 0) out.all = value;
    else out.named.set(entry.slice(0, eq).trim(), value);
  }
  return out.all === undefined && out.named.size === 0 ? undefined : out;
}

function overridden(o: UsageOverride | undefined, container: string): number | undefined {
  return o?.named.get(container) ?? o?.all;
}

/** The modelled usage of container `c` (`seed`: the pod's uid and the container's name) at time `t` (ms). */
export function modelUsage(seed: string, c: Pick<Container, 'resources'>, t: number): Usage {
  const req = c.resources?.requests, lim = c.resources?.limits;
  const cpuReq = amount(req, 'cpu'), cpuLim = amount(lim, 'cpu');
  const memReq = amount(req, 'memory'), memLim = amount(lim, 'memory');
  const u = unitHash(seed, 'cpu'), v = unitHash(seed, 'memory');
  let cpu = cpuReq !== undefined ? cpuReq * (0.2 + 0.4 * u) : cpuLim !== undefined ? cpuLim * (0.05 + 0.15 * u) : 0.001 + 0.004 * u;
  cpu *= wobble(`${seed}/cpu`, 0.2, 120_000, 300_000, t) * jitter(`${seed}/cpu`, 0.03, t);
  if (cpuLim !== undefined) cpu = Math.min(cpu, cpuLim);
  let memory = memReq !== undefined ? memReq * (0.4 + 0.4 * v) : memLim !== undefined ? memLim * (0.2 + 0.3 * v) : 8 * MI + 24 * MI * v;
  memory *= wobble(`${seed}/memory`, 0.05, 600_000, 1_200_000, t);
  if (memLim !== undefined) memory = Math.min(memory, memLim * 0.95);
  return { cpu: Math.max(1, Math.round(cpu * 1e9)), memory: Math.max(PAGE, Math.round(memory / PAGE) * PAGE) };
}

/**
 * The containers of `pod` that run now, with their specs: app containers, then
 * sidecars (init containers with `restartPolicy: Always`), then ephemeral ones.
 */
export function runningContainers(pod: KubeObject): Container[] {
  const spec = (pod.spec ?? {}) as PodSpec;
  const status = (pod.status ?? {}) as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]; ephemeralContainerStatuses?: ContainerStatus[] };
  const runs = (statuses: ContainerStatus[] | undefined) => new Set((statuses ?? []).filter((s) => s.state?.running).map((s) => s.name));
  const app = runs(status.containerStatuses), init = runs(status.initContainerStatuses), eph = runs(status.ephemeralContainerStatuses);
  return [
    ...(spec.containers ?? []).filter((c) => app.has(c.name)),
    ...(spec.initContainers ?? []).filter((c) => init.has(c.name)),
    ...(spec.ephemeralContainers ?? []).filter((c) => eph.has(c.name)),
  ];
}

/** The usage of each running container of `pod` at time `t` (ms); empty when none runs. */
export function podUsage(pod: KubeObject, t: number): ContainerUsage[] {
  const ann = pod.metadata.annotations ?? {};
  const cpuSet = parseUsageAnnotation(ann[usageCpuAnnotation]);
  const memSet = parseUsageAnnotation(ann[usageMemoryAnnotation]);
  const id = pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  return runningContainers(pod).map((c) => {
    const model = modelUsage(`${id}/${c.name}`, c, t);
    const cpu = overridden(cpuSet, c.name);
    const memory = overridden(memSet, c.name);
    return {
      name: c.name,
      cpu: cpu !== undefined ? Math.round(cpu * 1e9) : model.cpu,
      memory: memory !== undefined ? Math.round(memory) : model.memory,
    };
  });
}

/** What a node's system uses besides its pods at time `t` (ms). */
export function systemUsage(nodeName: string, t: number): Usage {
  const seed = `node/${nodeName}`;
  const cpu = (0.05 + 0.1 * unitHash(seed, 'cpu')) * wobble(`${seed}/cpu`, 0.2, 120_000, 300_000, t) * jitter(`${seed}/cpu`, 0.03, t);
  const memory = (600 + 300 * unitHash(seed, 'memory')) * MI * wobble(`${seed}/memory`, 0.03, 600_000, 1_200_000, t);
  return { cpu: Math.round(cpu * 1e9), memory: Math.round(memory / PAGE) * PAGE };
}
