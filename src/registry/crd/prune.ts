// Pruning of custom resources (upstream's structural pruning): fields the
// schema does not specify are dropped, except below
// x-kubernetes-preserve-unknown-fields; apiVersion, kind and metadata of the
// object and of embedded resources are kept (metadata is reduced to
// ObjectMeta's fields). Also the removal of nulls the schema neither allows
// (nullable) nor defaults. The paths of what was dropped are what strict field
// validation reports (`unknown field "spec.foo"`).

import { additionalSchema, itemsSchema } from './props.ts';
import type { Props } from './props.ts';

const metaFields = new Set(['apiVersion', 'kind', 'metadata']);

/** The fields of ObjectMeta (what Go keeps when decoding metadata). */
const objectMetaFields = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Paths {
  readonly track: boolean;
  readonly unknown: string[] = [];
  private parent: string[] = [];
  constructor(track: boolean) {
    this.track = track;
  }
  mark(): number {
    return this.parent.length;
  }
  reset(n: number): void {
    this.parent.length = n;
  }
  appendKey(k: string): void {
    if (!this.track) return;
    if (this.parent.length > 0) this.parent.push('.');
    this.parent.push(k);
  }
  appendIndex(i: number): void {
    if (this.track) this.parent.push('[', String(i), ']');
  }
  record(k: string): void {
    if (!this.track) return;
    const n = this.mark();
    this.appendKey(k);
    this.unknown.push(this.parent.join(''));
    this.reset(n);
  }
  get depth(): number {
    return this.parent.length;
  }
}

function prune(x: unknown, s: Props | undefined, embedded: boolean, paths: Paths, depth: number): void {
  if (depth > 512) return;
  if (s?.xPreserveUnknownFields) {
    skipPrune(x, s, embedded, paths, depth);
    return;
  }
  const n = paths.mark();
  if (isObject(x)) {
    if (!s) {
      for (const k of Object.keys(x)) {
        paths.record(k);
        delete x[k];
      }
      return;
    }
    for (const k of Object.keys(x)) {
      if (embedded && metaFields.has(k)) continue;
      const prop = s.properties?.get(k);
      if (prop) {
        paths.appendKey(k);
        prune(x[k], prop, prop.xEmbeddedResource === true, paths, depth + 1);
        paths.reset(n);
      } else if (s.additionalProperties !== undefined) {
        const ap = additionalSchema(s);
        paths.appendKey(k);
        prune(x[k], ap, ap?.xEmbeddedResource === true, paths, depth + 1);
        paths.reset(n);
      } else {
        if (!metaFields.has(k) || paths.depth > 0) paths.record(k);
        delete x[k];
      }
    }
  } else if (Array.isArray(x)) {
    const items = s ? itemsSchema(s) : undefined;
    x.forEach((v, i) => {
      paths.appendIndex(i);
      prune(v, items, items?.xEmbeddedResource === true, paths, depth + 1);
      paths.reset(n);
    });
  }
}

function skipPrune(x: unknown, s: Props | undefined, embedded: boolean, paths: Paths, depth: number): void {
  if (!s || depth > 512) return;
  const n = paths.mark();
  if (isObject(x)) {
    for (const k of Object.keys(x)) {
      if (embedded && metaFields.has(k)) continue;
      const prop = s.properties?.get(k);
      if (prop) {
        paths.appendKey(k);
        prune(x[k], prop, prop.xEmbeddedResource === true, paths, depth + 1);
        paths.reset(n);
      } else if (s.additionalProperties !== undefined) {
        const ap = additionalSchema(s);
        paths.appendKey(k);
        prune(x[k], ap, ap?.xEmbeddedResource === true, paths, depth + 1);
        paths.reset(n);
      }
    }
  } else if (Array.isArray(x)) {
    const items = itemsSchema(s);
    x.forEach((v, i) => {
      paths.appendIndex(i);
      skipPrune(v, items, items?.xEmbeddedResource === true, paths, depth + 1);
      paths.reset(n);
    });
  }
}

export interface PruneOptions {
  /** Collect the paths of dropped fields (sorted), for strict field validation. */
  trackUnknownFields?: boolean;
  /**
   * The value is a whole resource (default true): apiVersion, kind and metadata
   * at its top are kept whatever the schema says.
   */
  isResourceRoot?: boolean;
}

/**
 * Drop what the schema does not specify, in place. Returns the dropped
 * fields' paths when tracking (`spec.foo`, `spec.items[0].bar`), sorted.
 */
export function pruneUnknown(obj: unknown, schema: Props | undefined, opts: PruneOptions = {}): string[] {
  const paths = new Paths(opts.trackUnknownFields === true);
  const root = opts.isResourceRoot ?? true;
  prune(obj, schema, root || schema?.xEmbeddedResource === true, paths, 0);
  return paths.unknown.sort();
}

function metadataWalk(x: unknown, s: Props | undefined, path: string, out: string[], depth: number, embedded: boolean): void {
  if (depth > 512) return;
  if (isObject(x)) {
    if (embedded && isObject(x.metadata)) {
      const m = x.metadata;
      for (const k of Object.keys(m)) {
        if (!objectMetaFields.has(k)) {
          out.push(`${path === '' ? '' : `${path}.`}metadata.${k}`);
          delete m[k];
        }
      }
      if (m.creationTimestamp === null && depth > 0) delete m.creationTimestamp;
    }
    if (!s) return;
    const ap = additionalSchema(s);
    for (const k of Object.keys(x)) {
      const prop = s.properties?.get(k);
      if (prop) metadataWalk(x[k], prop, path === '' ? k : `${path}.${k}`, out, depth + 1, prop.xEmbeddedResource === true);
      else if (s.additionalProperties !== undefined) metadataWalk(x[k], ap, `${path}[${k}]`, out, depth + 1, ap?.xEmbeddedResource === true);
    }
  } else if (Array.isArray(x) && s) {
    const items = itemsSchema(s);
    x.forEach((v, i) => metadataWalk(v, items, `${path}[${i}]`, out, depth + 1, items?.xEmbeddedResource === true));
  }
}

/**
 * Reduce the metadata of the resource and of its embedded resources to
 * ObjectMeta's fields (as decoding into ObjectMeta does), in place. Returns the
 * paths of the dropped fields, sorted (`metadata.foo`, `spec.template.metadata.bar`).
 */
export function coerceMetadata(obj: unknown, schema: Props | undefined): string[] {
  const out: string[] = [];
  metadataWalk(obj, schema, '', out, 0, true);
  return out.sort();
}

function fieldSchema(k: string, s: Props | undefined): Props | undefined {
  if (!s) return undefined;
  const p = s.properties?.get(k);
  if (p) return p;
  return s.additionalProperties !== undefined ? additionalSchema(s) : undefined;
}

/** Remove null members whose schema is neither nullable nor defaulted (upstream's PruneNonNullableNullsWithoutDefaults), in place. */
export function pruneNonNullableNulls(x: unknown, s: Props | undefined, depth = 0): void {
  if (depth > 512) return;
  if (isObject(x)) {
    for (const k of Object.keys(x)) {
      const sub = fieldSchema(k, s);
      const v = x[k];
      if (v === null && sub !== undefined && sub.nullable !== true && sub.default === undefined) delete x[k];
      else pruneNonNullableNulls(v, sub, depth + 1);
    }
  } else if (Array.isArray(x)) {
    const items = s ? itemsSchema(s) : undefined;
    for (const v of x) pruneNonNullableNulls(v, items, depth + 1);
  }
}
