// The JSON type errors a Go server meets while decoding a body into its typed
// structs, found by walking the value along the kind's schema. The text is
// encoding/json's: `json: cannot unmarshal string into Go struct field
// Pod.spec of type v1.PodSpec` (innermost struct, then the JSON path from the
// root without list indices, then the Go type of the field).

import type { JsonValue } from '../types.ts';
import { deref, goTypeName, refName } from './index.ts';
import type { SchemaNode } from './types.ts';

const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** int-or-string fields: the extension, the IntOrString type, or its `int-or-string` format. */
function isIntOrString(node: SchemaNode, ref: string | undefined): boolean {
  const n = deref(node);
  return ref === intOrString || n.intOrString === true || node.intOrString === true || n.format === 'int-or-string';
}

function jsonTypeOf(v: JsonValue): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number, object
}

/** Go's printed type of a schema node: v1.PodSpec, []v1.Container, map[string]string, int32. */
function goType(node: SchemaNode): string {
  const ref = refName(node);
  if (ref === quantity) return 'resource.Quantity';
  if (isIntOrString(node, ref)) return 'intstr.IntOrString';
  if (ref) return goTypeName(ref);
  const n = deref(node);
  switch (n.type) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'integer': return n.format === 'int64' ? 'int64' : 'int32';
    case 'number': return 'float64';
    case 'array': return `[]${n.items ? goType(n.items) : 'interface {}'}`;
    case 'object':
      if (n.additionalProperties && n.additionalProperties !== true) return `map[string]${goType(n.additionalProperties)}`;
      return 'map[string]interface {}';
    default: return 'interface {}';
  }
}

/** The struct name Go reports for fields of a definition: v1.PodSpec → PodSpec. */
function structName(node: SchemaNode): string {
  const ref = refName(node);
  return ref ? ref.slice(ref.lastIndexOf('.') + 1) : '';
}

interface Ctx { struct: string; path: string[] }

function mismatch(value: JsonValue, node: SchemaNode, ctx: Ctx): string {
  return `json: cannot unmarshal ${jsonTypeOf(value)} into Go struct field ${ctx.struct}.${ctx.path.join('.')} of type ${goType(node)}`;
}

function check(node: SchemaNode, value: JsonValue, ctx: Ctx, depth: number): string | undefined {
  if (value === null || depth > 200) return undefined; // null decodes to the zero value
  const ref = refName(node);
  const n = deref(node);
  if (n.opaque || n.preserveUnknownFields || node.preserveUnknownFields) return undefined;
  if (ref === quantity || isIntOrString(node, ref)) {
    return typeof value === 'string' || typeof value === 'number' ? undefined : mismatch(value, node, ctx);
  }
  switch (n.type) {
    case 'string': return typeof value === 'string' ? undefined : mismatch(value, node, ctx);
    case 'boolean': return typeof value === 'boolean' ? undefined : mismatch(value, node, ctx);
    case 'integer': case 'number': return typeof value === 'number' ? undefined : mismatch(value, node, ctx);
    case 'array': {
      if (!Array.isArray(value)) return mismatch(value, node, ctx);
      if (!n.items) return undefined;
      for (const item of value) {
        const e = check(n.items, item, ctx, depth + 1);
        if (e) return e;
      }
      return undefined;
    }
    default: break;
  }
  if (n.properties || n.additionalProperties || n.type === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return mismatch(value, node, ctx);
    const inner = n.properties ? (structName(node) || ctx.struct) : ctx.struct;
    for (const [k, v] of Object.entries(value)) {
      const child = n.properties?.[k] ?? (n.additionalProperties === true ? undefined : n.additionalProperties);
      if (!child || !Object.prototype.hasOwnProperty.call(n.properties ?? {}, k) && !n.additionalProperties) continue;
      const e = check(child, v, { struct: inner, path: n.properties?.[k] ? [...ctx.path, k] : ctx.path }, depth + 1);
      if (e) return e;
    }
  }
  return undefined;
}

/** The first Go decoding type error of `value` as an object of `schema` (the Go struct `kind`), or undefined. */
export function findTypeError(schema: SchemaNode, value: JsonValue, kind: string): string | undefined {
  return check(schema, value, { struct: structName(schema) || kind, path: [] }, 0);
}
