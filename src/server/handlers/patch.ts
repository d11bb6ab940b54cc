// Applying PATCH bodies to the current object: JSON patch, JSON merge patch,
// strategic merge patch (built-in kinds, driven by the upstream schema), and
// apply patches (until server-side apply owns fields, an apply is a strategic
// merge of the applied configuration into the live object).

import { errors } from '../../api/errors.ts';
import { applyPatch as applyTypedPatch, type PatchType } from '../../api/patch/apply-patch.ts';
import { schemaForKind, anySchema } from '../../api/schema/index.ts';
import type { JsonObject, KubeObject } from '../../api/types.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { BodyFormat } from '../http/negotiate.ts';
import type { FieldValidation } from './decode.ts';

export type PatchFormat = Extract<BodyFormat, 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch'>;

export function isPatchFormat(f: BodyFormat): f is PatchFormat {
  return f === 'json-patch' || f === 'merge-patch' || f === 'strategic-merge-patch' || f === 'apply-patch';
}

const patchTypes: Record<PatchFormat, PatchType> = {
  'json-patch': 'json', 'merge-patch': 'merge', 'strategic-merge-patch': 'strategic', 'apply-patch': 'strategic',
};

/** Apply a raw patch body to a copy of `current`; returns the new object and any Warn-mode warnings. */
export function applyPatch(def: ResourceDef, format: PatchFormat, current: KubeObject, body: string | Uint8Array,
  validation: FieldValidation, schemaKind?: { group: string; version: string; kind: string }): { obj: KubeObject; warnings: string[] } {
  const schema = (schemaKind ? schemaForKind(schemaKind.group, schemaKind.version, schemaKind.kind) : def.schema?.()) ?? anySchema;
  const out = applyTypedPatch(patchTypes[format], body, current as unknown as JsonObject, { schema, validation });
  const obj = out.object as unknown as KubeObject;
  if (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata)) {
    throw errors.badRequest('the patch removed or replaced the object\'s metadata');
  }
  return { obj, warnings: out.warnings };
}
