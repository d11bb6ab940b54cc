// Applying PATCH bodies to the current object: JSON patch, JSON merge patch,
// strategic merge patch, and apply patches.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { BodyFormat } from '../http/negotiate.ts';

export type PatchFormat = Extract<BodyFormat, 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch'>;

export interface Patchers {
  json(doc: unknown, patch: unknown): unknown;
  merge(doc: unknown, patch: unknown): unknown;
  /** Strategic merge for a built-in kind. */
  strategic(def: ResourceDef, doc: unknown, patch: unknown): unknown;
}

let patchers: Patchers | undefined;
export function setPatchers(p: Patchers): void { patchers = p; }

export function isPatchFormat(f: BodyFormat): f is PatchFormat {
  return f === 'json-patch' || f === 'merge-patch' || f === 'strategic-merge-patch' || f === 'apply-patch';
}

/** Apply `patch` (already parsed) to a copy of `current`. */
export function applyPatch(def: ResourceDef, format: PatchFormat, current: KubeObject, patch: unknown): KubeObject {
  if (!patchers) throw errors.internal('patch support is not initialized');
  let out: unknown;
  switch (format) {
    case 'json-patch':
      if (!Array.isArray(patch)) throw errors.badRequest('json patch must be a JSON array of operations');
      out = patchers.json(current, patch);
      break;
    case 'merge-patch':
      out = patchers.merge(current, patch);
      break;
    case 'strategic-merge-patch':
      out = patchers.strategic(def, current, patch);
      break;
    case 'apply-patch':
      // Until server-side apply tracks field ownership, an apply merges the
      // applied configuration into the live object.
      out = patchers.strategic(def, current, patch);
      break;
  }
  if (typeof out !== 'object' || out === null || Array.isArray(out)) {
    throw errors.badRequest('the patch did not produce an object');
  }
  const obj = out as KubeObject;
  if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) {
    throw errors.badRequest('the patch removed or replaced the object\'s metadata');
  }
  return obj;
}
