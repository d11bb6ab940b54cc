// Label and field selectors of a request, as one predicate over objects.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { fieldLabelError } from '../../registry/field-selectors.ts';
import { parseFieldSelector } from '../../api/selectors/fields.ts';
import { parseLabelSelector } from '../../api/selectors/labels.ts';
import type { ResourceDef } from '../../registry/types.ts';

/** Undefined when neither selector restricts anything. */
export function buildPredicate(def: ResourceDef, labelSelector: string | null, fieldSelector: string | null):
  ((obj: KubeObject) => boolean) | undefined {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  const checkLabels = labels && !labels.empty;
  const checkFields = fields && !fields.empty;
  if (!checkLabels && !checkFields) return undefined;
  if (checkFields) {
    for (const r of fields.requirements) {
      if (!def.fieldSelectors || !Object.hasOwn(def.fieldSelectors, r.field)) {
        throw errors.badRequest(fieldLabelError(def.group, def.plural, r.field));
      }
    }
  }
  return (obj) => {
    if (checkLabels && !labels.matches(obj.metadata.labels ?? {})) return false;
    if (checkFields) {
      const getters = def.fieldSelectors ?? {};
      return fields.matches((f) => getters[f]?.(obj) ?? '');
    }
    return true;
  };
}
