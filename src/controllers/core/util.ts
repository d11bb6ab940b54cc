// Small helpers the core controllers share: object keys, finalizer and
// condition checks, label selection of pods by a Service's selector, and the
// error filters every controller uses around its writes.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';

/** The field manager the controller-manager's writes are recorded under. */
export const controllerManager = 'kube-controller-manager';

export type Obj = Record<string, unknown>;

export function rec(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Obj : {};
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** `namespace/name`, the key a work queue holds for a namespaced object. */
export function nsKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}

export function hasFinalizer(obj: KubeObject, f: string): boolean {
  return obj.metadata.finalizers?.includes(f) ?? false;
}

/** Run a write and ignore "not found" (the object went away meanwhile). */
export async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  }
}

/** Run a create and ignore "already exists". */
export async function ignoreExists<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists') return undefined;
    throw e;
  }
}

export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
}

/** A namespace that is going away gets nothing new (upstream: phase is not Active). */
export function namespaceActive(ns: KubeObject | undefined): boolean {
  if (!ns || ns.metadata.deletionTimestamp) return false;
  const phase = str(rec(ns.status).phase);
  return phase === '' || phase === 'Active';
}

/** Whether a Service's selector (a plain label map) selects `labels`; an empty selector selects everything. */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const k of Object.keys(selector)) {
    if ((labels ?? {})[k] !== selector[k]) return false;
  }
  return true;
}

/** The selector of a Service, or undefined when it has none (such services are left alone). */
export function serviceSelector(svc: KubeObject): Record<string, string> | undefined {
  const sel = rec(svc.spec).selector;
  if (sel === undefined || sel === null || typeof sel !== 'object' || Array.isArray(sel)) return undefined;
  return sel as Record<string, string>;
}

/** Pod condition Ready is True. */
export function podReady(pod: KubeObject): boolean {
  return arr(rec(pod.status).conditions).some((c) => rec(c).type === 'Ready' && rec(c).status === 'True');
}

export function podPhase(pod: KubeObject): string {
  return str(rec(pod.status).phase);
}

/** Succeeded or Failed. */
export function podTerminal(pod: KubeObject): boolean {
  const p = podPhase(pod);
  return p === 'Succeeded' || p === 'Failed';
}

export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/** The addresses of a pod: status.podIPs, or status.podIP when the list is missing. */
export function podIPs(pod: KubeObject): string[] {
  const st = rec(pod.status);
  const list = arr(st.podIPs).map((x) => str(rec(x).ip)).filter((x) => x !== '');
  if (list.length > 0) return list;
  const one = str(st.podIP);
  return one ? [one] : [];
}

/** Go's %#v of a []string, as upstream prints such values in field errors. */
export function goStringSlice(v: readonly string[]): string {
  return `[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp (0 when absent or unparsable). */
export function timeOf(ts: unknown): number {
  if (typeof ts !== 'string') return 0;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? 0 : t;
}
