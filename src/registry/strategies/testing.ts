// Test support: run a strategy the way the store does (see common.ts) and
// render errors the way clients see them.

import { formatFieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Strategy } from '../types.ts';
import { deepCopy } from '../../api/json-copy.ts';

let counter = 0;

/** Create: server-set metadata, prepareForCreate, defaults, validate + validateCreate. */
export function runCreate(s: Strategy, input: unknown, opts: { namespace?: string } = {}): { obj: KubeObject; errors: FieldError[] } {
  const obj = deepCopy(input) as KubeObject;
  if (typeof obj.metadata === 'object' && obj.metadata !== null) {
    if (opts.namespace !== undefined) obj.metadata.namespace = opts.namespace;
    obj.metadata.uid = `00000000-0000-0000-0000-${String(++counter).padStart(12, '0')}`;
    obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    if (s.specFields) obj.metadata.generation = 1;
  }
  s.prepareForCreate?.(obj);
  s.defaults?.(obj);
  return { obj, errors: [...(s.validate?.(obj) ?? []), ...(s.validateCreate?.(obj) ?? [])] };
}

/** Update: identity metadata from the old object, prepareForUpdate, defaults, validate + validateUpdate. */
export function runUpdate(s: Strategy, input: unknown, old: KubeObject): { obj: KubeObject; errors: FieldError[] } {
  const obj = deepCopy(input) as KubeObject;
  const om = typeof old.metadata === 'object' && old.metadata !== null ? old.metadata : undefined;
  if (typeof obj.metadata === 'object' && obj.metadata !== null && om) {
    obj.metadata.name = om.name;
    if (om.namespace !== undefined) obj.metadata.namespace = om.namespace;
    obj.metadata.uid = om.uid;
    obj.metadata.creationTimestamp = om.creationTimestamp;
    if (om.generation !== undefined) obj.metadata.generation = om.generation;
  }
  s.prepareForUpdate?.(obj, old);
  s.defaults?.(obj);
  return { obj, errors: [...(s.validate?.(obj) ?? []), ...(s.validateUpdate?.(obj, old) ?? [])] };
}

export function messages(errs: readonly FieldError[]): string[] {
  return errs.map(formatFieldError);
}

/** The errors at one field path. */
export function at(errs: readonly FieldError[], field: string): FieldError[] {
  return errs.filter((e) => e.field === field);
}

export function clone<T>(v: T): T {
  return deepCopy(v);
}
