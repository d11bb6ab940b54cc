// What a pod asks for and what a node has: cpu in millicores, memory, ephemeral
// storage and extended resources as integers, computed as the scheduler does
// (containers summed, init containers as a peak, sidecars carried along,
// overhead added; pod-level requests when the pod sets them).

import type { KubeObject } from '../../api/types.ts';
import { milliValue, parseQuantity } from '../../api/validation/quantity.ts';
import type { Container, PodSpec, ResourceList } from '../../nodes/api.ts';
import { nodeStatus } from '../../nodes/api.ts';

export type Amounts = Map<string, number>;

/** Resources counted in millis (cpu) rather than whole units. */
const milliResources = new Set(['cpu']);

/** The amount of one quantity: millicores for cpu, whole units (rounded up) otherwise; 0 when malformed. */
export function amountOf(resource: string, v: string | number | undefined): number {
  if (v === undefined) return 0;
  const q = parseQuantity(v);
  if (typeof q === 'string') return 0;
  const milli = milliValue(q);
  if (milliResources.has(resource)) return Number(milli);
  const whole = milli / 1000n + (milli % 1000n > 0n ? 1n : 0n);
  return Number(whole);
}

export function amounts(list: ResourceList | undefined): Amounts {
  const out: Amounts = new Map();
  for (const [name, v] of Object.entries(list ?? {})) out.set(name, amountOf(name, v));
  return out;
}

function addInto(into: Amounts, a: Amounts): void {
  for (const [k, v] of a) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: Amounts, a: Amounts): void {
  for (const [k, v] of a) into.set(k, Math.max(into.get(k) ?? 0, v));
}

/** The defaults the scheduler scores zero-request containers with (100m cpu, 200Mi memory). */
export const nonZeroCPU = 100;
export const nonZeroMemory = 200 * 1024 * 1024;

function containerRequests(c: Container, nonZero: boolean): Amounts {
  const a = amounts(c.resources?.requests);
  if (nonZero) {
    if (!a.get('cpu')) a.set('cpu', nonZeroCPU);
    if (!a.get('memory')) a.set('memory', nonZeroMemory);
  }
  return a;
}

/**
 * A pod's effective requests. With `nonZero`, containers without cpu or memory
 * requests count the scoring defaults (the scheduler's NonZeroRequested).
 */
export function podRequests(spec: PodSpec, nonZero = false): Amounts {
  const apps: Amounts = new Map();
  for (const c of spec.containers ?? []) addInto(apps, containerRequests(c, nonZero));
  // Sidecars (restartable init containers) keep running beside what starts after them.
  const sidecars: Amounts = new Map();
  const initPeak: Amounts = new Map();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      maxInto(initPeak, sidecars);
    } else {
      const withSidecars = new Map(sidecars);
      addInto(withSidecars, r);
      maxInto(initPeak, withSidecars);
    }
  }
  const total = new Map(apps);
  addInto(total, sidecars);
  maxInto(total, initPeak);
  // Pod-level requests replace the container sums for the resources they name.
  for (const [k, v] of amounts(spec.resources?.requests)) {
    if (k === 'cpu' || k === 'memory') total.set(k, v);
  }
  addInto(total, amounts(spec.overhead));
  for (const [k, v] of total) if (v === 0 && !(nonZero && (k === 'cpu' || k === 'memory'))) total.delete(k);
  return total;
}

// Cached objects are immutable, so a node object's amounts are computed once.
const allocatableOf = new WeakMap<KubeObject, Amounts>();

/** A node's allocatable resources (capacity when allocatable is not reported). Treat as read-only. */
export function nodeAllocatable(node: KubeObject): Amounts {
  let a = allocatableOf.get(node);
  if (!a) {
    const st = nodeStatus(node);
    allocatableOf.set(node, (a = amounts(st.allocatable ?? st.capacity)));
  }
  return a;
}

/** Host ports a pod claims, as "protocol/hostIP/port". */
export function hostPorts(spec: PodSpec): string[] {
  const out: string[] = [];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push(`${p.protocol || 'TCP'}/${p.hostIP || '0.0.0.0'}/${p.hostPort}`);
    }
  }
  return out;
}

/** Whether two host port claims collide (0.0.0.0 collides with every address). */
export function portsConflict(a: string, b: string): boolean {
  const [pa, ia, na] = a.split('/');
  const [pb, ib, nb] = b.split('/');
  if (pa !== pb || na !== nb) return false;
  return ia === ib || ia === '0.0.0.0' || ib === '0.0.0.0';
}
