// The shape of src/api/schema/schemas.generated.json: a structure-only form of the
// upstream OpenAPI v2 definitions (written by scripts/gen-schemas.ts).
import type { JsonValue } from '../types.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** One schema: a definition, a property, an item or a map value. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  /** Name of another definition this node stands for (`$ref`). */
  ref?: string;
  items?: SchemaNode;
  /** Values of a map; `true` for any value. */
  additionalProperties?: SchemaNode | true;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  enum?: JsonValue[];
  default?: JsonValue;
  /** x-kubernetes-group-version-kind */
  gvk?: GroupVersionKind[];
  /** x-kubernetes-patch-strategy: `merge`, `retainKeys`, `merge,retainKeys`, `replace` */
  patchStrategy?: string;
  /** x-kubernetes-patch-merge-key */
  patchMergeKey?: string;
  /** x-kubernetes-list-type: `atomic`, `set`, `map` */
  listType?: string;
  /** x-kubernetes-list-map-keys */
  listMapKeys?: string[];
  /** x-kubernetes-map-type: `atomic`, `granular` */
  mapType?: string;
  /** x-kubernetes-int-or-string */
  intOrString?: boolean;
  /** x-kubernetes-preserve-unknown-fields */
  preserveUnknownFields?: boolean;
  /** x-kubernetes-embedded-resource */
  embeddedResource?: boolean;
  /** x-kubernetes-unions */
  unions?: JsonValue[];
  /** Decodes any JSON value (RawExtension, FieldsV1, apiextensions JSON, ...). */
  opaque?: boolean;
}

export interface SchemaFile {
  source: string;
  definitions: Record<string, SchemaNode>;
}
