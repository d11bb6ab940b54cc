// The Strategy of a custom resource kind (upstream's customResourceStrategy and
// its status strategy), built from one version of its CRD.
//
// - defaults: prune what the schema does not specify, drop non-nullable nulls,
//   then apply the schema's defaults (upstream does this while decoding bodies
//   and objects read from storage; the store calls it for every write).
// - create: status is dropped when the status subresource is enabled (the store
//   does that for kinds declaring it); generation starts at 1.
// - update: generation increments on any change outside metadata (status
//   included when there is no status subresource); the new object is defaulted
//   first, as upstream decodes it with defaults before comparing.
// - validation: metadata, the schema (ratcheted on update), embedded resources,
//   list sets/maps, scale paths; a write that changes nothing but status (the
//   status subresource) is validated as upstream's status strategy does.

import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Strategy } from '../types.ts';
import { applyDefaults } from './defaults.ts';
import { coerceMetadata, pruneNonNullableNulls, pruneUnknown } from './prune.ts';
import { deepEqualJSON } from './props.ts';
import type { Props } from './props.ts';
import { validateCustomResource, validateCustomResourceStatusUpdate, validateCustomResourceUpdate } from './validate.ts';
import type { CustomResourceContext, ScalePaths } from './validate.ts';
import { deepCopy } from '../../api/json-copy.ts';

export interface CustomResourceStrategyOptions {
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  /** The version's schema (undefined: nothing is pruned, defaulted or checked beyond metadata). */
  schema: Props | undefined;
  statusSubresource: boolean;
  scale?: ScalePaths;
}

/** Prune, drop non-nullable nulls and default an object in place (what upstream does on decode). */
export function coerceAndDefault(obj: unknown, schema: Props | undefined): void {
  if (!schema) return;
  pruneUnknown(obj, schema);
  coerceMetadata(obj, schema);
  pruneNonNullableNulls(obj, schema);
  applyDefaults(obj, schema);
}

/** The old object as upstream reads it from storage: pruned and defaulted with the current schema. */
function asRead(old: KubeObject, schema: Props | undefined): KubeObject {
  if (!schema) return old;
  const copy = deepCopy(old) as KubeObject;
  coerceAndDefault(copy, schema);
  return copy;
}

/** Everything but metadata (and the type meta the server sets), for generation. */
function nonMetadata(obj: KubeObject, withStatus: boolean): Record<string, unknown> {
  const { metadata: _m, apiVersion: _a, kind: _k, status, ...rest } = obj;
  return withStatus && status !== undefined ? { ...rest, status } : rest;
}

function withoutStatus(obj: KubeObject): Record<string, unknown> {
  const { status: _s, metadata, ...rest } = obj;
  const m = { ...(metadata as Record<string, unknown>) };
  delete m.resourceVersion;
  delete m.managedFields;
  delete m.generation;
  return { ...rest, metadata: m };
}

export function customResourceStrategy(opts: CustomResourceStrategyOptions): Strategy {
  const ctx: CustomResourceContext = {
    group: opts.group, version: opts.version, kind: opts.kind, namespaced: opts.namespaced, schema: opts.schema,
  };
  if (opts.scale) ctx.scale = opts.scale;
  return {
    specFields: ['spec'],
    defaults(obj) {
      coerceAndDefault(obj, opts.schema);
    },
    prepareForCreate(obj) {
      if (opts.statusSubresource) delete obj.status;
    },
    prepareForUpdate(obj, old) {
      if (opts.statusSubresource) {
        if (old.status !== undefined) obj.status = deepCopy(old.status);
        else delete obj.status;
      }
      coerceAndDefault(obj, opts.schema);
      const before = asRead(old, opts.schema);
      const changed = !deepEqualJSON(nonMetadata(obj, !opts.statusSubresource), nonMetadata(before, !opts.statusSubresource));
      if (typeof obj.metadata === 'object' && obj.metadata !== null) obj.metadata.generation = (old.metadata?.generation ?? 1) + (changed ? 1 : 0);
    },
    validate(): FieldError[] {
      return [];
    },
    validateCreate(obj) {
      return validateCustomResource(obj, ctx);
    },
    validateUpdate(obj, old) {
      const before = asRead(old, opts.schema);
      // A status subresource write: the store kept everything of the old object but status.
      if (opts.statusSubresource && !deepEqualJSON(obj.status, old.status) && deepEqualJSON(withoutStatus(obj), withoutStatus(old))) {
        return validateCustomResourceStatusUpdate(obj, before, ctx);
      }
      return validateCustomResourceUpdate(obj, before, ctx);
    },
  };
}
