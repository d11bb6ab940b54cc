// Server-owned object metadata: names from generateName, uids, timestamps and
// generation, set the way kube-apiserver sets them.

import { randomBytes, randomUUID } from 'node:crypto';
import type { JsonValue, KubeObject } from '../../api/types.ts';
import { jsonEqual as jsonValuesEqual } from '../../api/patch/json-values.ts';
import { deepCopy } from '../../api/json-copy.ts';

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function nowTimestamp(now?: Date): string {
  if (now !== undefined) return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Every write stamps a time or two: the text is made once per second.
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastText;
}

let lastSecond = -1;
let lastText = '';

// The alphabet upstream uses for generated name suffixes (no vowels, no confusable digits).
const suffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  const maxBase = 63 - 5;
  const prefix = base.length > maxBase ? base.slice(0, maxBase) : base;
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += suffixAlphabet[b % suffixAlphabet.length];
  return prefix + s;
}

export function newUid(): string {
  return randomUUID();
}

/** Every top-level field except the ones that never count as "spec". */
function specPart(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Deep equality of JSON values (keys holding undefined count as absent). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return jsonValuesEqual(a as JsonValue, b as JsonValue);
}

/** True when an update changes what `generation` tracks. */
export function specChanged(obj: KubeObject, old: KubeObject): boolean {
  return !jsonEqual(specPart(obj), specPart(old));
}

/** A JSON deep copy; objects in the cache are shared and must not be mutated. */
export function cloneObject<T>(obj: T): T {
  return deepCopy(obj);
}

/** Metadata fields Go serializes with omitempty: empty ones are not stored. */
const omitEmpty = ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields'] as const;

export function dropEmptyMetadata(obj: KubeObject): void {
  const m = obj.metadata as Record<string, unknown>;
  for (const f of omitEmpty) {
    const v = m[f];
    if (v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)) {
      delete m[f];
    }
  }
  if (m.generateName === '') delete m.generateName;
}
