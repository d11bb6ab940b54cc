// Error values as upstream prints them. A field error's value that is not a
// string, number or bool is printed with encoding/json: maps with sorted keys,
// and the internal apiextensions structs (which carry no json tags) with their
// Go field names in declaration order, zero values included. These builders
// return plain objects whose JSON.stringify is that text.

import type { Props } from './props.ts';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON value with every object's keys sorted (how Go marshals a map). */
export function sortedJSON(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJSON);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sortedJSON(v[k]);
    return out;
  }
  return v;
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function propsMap(m: Map<string, Props> | undefined, depth: number): Record<string, unknown> | null {
  if (!m) return null;
  const out: Record<string, unknown> = {};
  for (const k of [...m.keys()].sort()) out[k] = internalSchema(m.get(k), depth + 1);
  return out;
}

function propsList(l: Props[] | undefined, depth: number): unknown[] | null {
  return l ? l.map((x) => internalSchema(x, depth + 1)) : null;
}

function orBool(v: boolean | Props | undefined, depth: number): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return { Allows: v, Schema: null };
  return { Allows: true, Schema: internalSchema(v, depth + 1) };
}

/** apiextensions.JSONSchemaProps (internal) as json.Marshal prints it. */
export function internalSchema(p: Props | undefined, depth = 0): unknown {
  if (!p) return null;
  if (depth > 64) return {};
  const raw = p.raw;
  return {
    ID: p.id ?? '',
    Schema: p.$schema ?? '',
    Ref: orNull(p.$ref),
    Description: p.description ?? '',
    Type: p.type ?? '',
    Nullable: p.nullable === true,
    Format: p.format ?? '',
    Title: p.title ?? '',
    Default: p.default === undefined ? null : sortedJSON(p.default),
    Maximum: orNull(p.maximum),
    ExclusiveMaximum: p.exclusiveMaximum === true,
    Minimum: orNull(p.minimum),
    ExclusiveMinimum: p.exclusiveMinimum === true,
    MaxLength: orNull(p.maxLength),
    MinLength: orNull(p.minLength),
    Pattern: p.pattern ?? '',
    MaxItems: orNull(p.maxItems),
    MinItems: orNull(p.minItems),
    UniqueItems: p.uniqueItems === true,
    MultipleOf: orNull(p.multipleOf),
    Enum: p.enum ? sortedJSON(p.enum) : null,
    MaxProperties: orNull(p.maxProperties),
    MinProperties: orNull(p.minProperties),
    Required: orNull(p.required),
    Items: p.items === undefined ? null : Array.isArray(p.items)
      ? { Schema: null, JSONSchemas: propsList(p.items, depth) }
      : { Schema: internalSchema(p.items, depth + 1), JSONSchemas: null },
    AllOf: propsList(p.allOf, depth),
    OneOf: propsList(p.oneOf, depth),
    AnyOf: propsList(p.anyOf, depth),
    Not: p.not ? internalSchema(p.not, depth + 1) : null,
    Properties: propsMap(p.properties, depth),
    AdditionalProperties: orBool(p.additionalProperties, depth),
    PatternProperties: propsMap(p.patternProperties, depth),
    Dependencies: p.dependencies ? Object.fromEntries([...p.dependencies.keys()].sort().map((k) => {
      const d = p.dependencies!.get(k)!;
      return [k, Array.isArray(d) ? { Schema: null, Property: d } : { Schema: internalSchema(d, depth + 1), Property: null }];
    })) : null,
    AdditionalItems: orBool(p.additionalItems, depth),
    Definitions: propsMap(p.definitions, depth),
    ExternalDocs: p.externalDocs ? { Description: p.externalDocs.description ?? '', URL: p.externalDocs.url ?? '' } : null,
    Example: p.example === undefined ? null : sortedJSON(p.example),
    XPreserveUnknownFields: orNull(p.xPreserveUnknownFields),
    XEmbeddedResource: p.xEmbeddedResource === true,
    XIntOrString: p.xIntOrString === true,
    XListMapKeys: Array.isArray(raw['x-kubernetes-list-map-keys']) ? p.xListMapKeys ?? null : null,
    XListType: orNull(p.xListType),
    XMapType: orNull(p.xMapType),
    XValidations: p.xValidations ? p.xValidations.map((r) => ({
      Rule: r.rule, Message: r.message, MessageExpression: r.messageExpression, Reason: orNull(r.reason),
      FieldPath: r.fieldPath, OptionalOldSelf: orNull(r.optionalOldSelf),
    })) : null,
  };
}

/** apiextensions.JSONSchemaPropsOrArray (internal). */
export function internalSchemaOrArray(p: Props | Props[] | undefined): unknown {
  if (p === undefined) return null;
  if (Array.isArray(p)) return { Schema: null, JSONSchemas: p.map((x) => internalSchema(x, 1)) };
  return { Schema: internalSchema(p, 1), JSONSchemas: null };
}

export interface InternalVersionParts {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  deprecationWarning?: string;
  /** undefined: nil; otherwise the (possibly absent) openAPIV3Schema. */
  schema?: { openAPIV3Schema?: Props };
  subresources?: { status: boolean; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  /** undefined: nil (absent, or moved to the top level). */
  additionalPrinterColumns?: Array<{ name: string; type: string; format: string; description: string; priority: number; jsonPath: string }>;
  selectableFields?: Array<{ jsonPath: string }>;
}

/** []apiextensions.CustomResourceDefinitionVersion as json.Marshal prints it. */
export function internalVersions(versions: readonly InternalVersionParts[]): unknown[] {
  return versions.map((v) => ({
    Name: v.name,
    Served: v.served,
    Storage: v.storage,
    Deprecated: v.deprecated,
    DeprecationWarning: orNull(v.deprecationWarning),
    Schema: v.schema ? { OpenAPIV3Schema: internalSchema(v.schema.openAPIV3Schema) } : null,
    Subresources: v.subresources ? {
      Status: v.subresources.status ? {} : null,
      Scale: v.subresources.scale ? {
        SpecReplicasPath: v.subresources.scale.specReplicasPath,
        StatusReplicasPath: v.subresources.scale.statusReplicasPath,
        LabelSelectorPath: orNull(v.subresources.scale.labelSelectorPath),
      } : null,
    } : null,
    AdditionalPrinterColumns: v.additionalPrinterColumns ? v.additionalPrinterColumns.map((c) => ({
      Name: c.name, Type: c.type, Format: c.format, Description: c.description, Priority: c.priority, JSONPath: c.jsonPath,
    })) : null,
    SelectableFields: v.selectableFields ? v.selectableFields.map((f) => ({ JSONPath: f.jsonPath })) : null,
  }));
}
