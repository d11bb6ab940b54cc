// Per-pod behaviour annotations of simulated nodes (see README.md in this folder)
// and the durations they take.

import type { KubeObject } from '../api/types.ts';
import { parseDuration as parseGoDuration } from '../api/go-duration.ts';

/** Containers exit with code 1: "true" (every app container) or a comma-separated list of container names. */
export const failAnnotation = 'kubevisor.dev/fail';
/** Containers run but never pass readiness: "true" or a comma-separated list of container names. */
export const neverReadyAnnotation = 'kubevisor.dev/never-ready';
/** Extra time the pod spends in ContainerCreating before its containers start (a duration). */
export const delayAnnotation = 'kubevisor.dev/delay';
/** App containers exit (code 0, or 1 with kubevisor.dev/fail) this long after they start (a duration). */
export const completeAfterAnnotation = 'kubevisor.dev/complete-after';

/**
 * Milliseconds of a Go-style duration ("1.5s", "500ms", "1m30s", "2h"); a bare
 * number counts as seconds. Undefined when the text is not a duration.
 */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = text.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  return parseGoDuration(s);
}

function annotation(pod: KubeObject, name: string): string | undefined {
  return pod.metadata.annotations?.[name];
}

/**
 * Which containers an annotation naming containers selects: undefined for none,
 * 'all' for "true"/"" (every app container), or a set of names.
 */
export function selectedContainers(pod: KubeObject, name: string): 'all' | Set<string> | undefined {
  const v = annotation(pod, name);
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '' || t.toLowerCase() === 'true') return 'all';
  if (t.toLowerCase() === 'false') return undefined;
  return new Set(t.split(',').map((x) => x.trim()).filter((x) => x !== ''));
}

export function selects(sel: 'all' | Set<string> | undefined, container: string, isApp: boolean): boolean {
  if (sel === undefined) return false;
  if (sel === 'all') return isApp;
  return sel.has(container);
}

export function startDelayMs(pod: KubeObject): number {
  return parseDuration(annotation(pod, delayAnnotation)) ?? 0;
}

export function completeAfterMs(pod: KubeObject): number | undefined {
  return parseDuration(annotation(pod, completeAfterAnnotation));
}

/** Pods a Job owns run to completion. */
export function ownedByJob(pod: KubeObject): boolean {
  return (pod.metadata.ownerReferences ?? []).some((r) => r.kind === 'Job' && r.apiVersion.startsWith('batch/'));
}
