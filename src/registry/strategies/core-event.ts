// core/v1 Event: only the legacy checks (core clients predate stricter rules),
// plus the zero-valued fields the server always writes out.

import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { setDefault } from '../../api/validation/json.ts';
import { nameIsPathSegment } from '../../api/validation/names.ts';
import { validateObjectMeta } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj } from './common.ts';
import { coreEventView, legacyValidateEvent } from './event-validation.ts';

function defaults(obj: KubeObject): void {
  const o = asObj(obj);
  setDefault(o, 'involvedObject', {});
  setDefault(o, 'source', {});
  setDefault(o, 'firstTimestamp', null);
  setDefault(o, 'lastTimestamp', null);
  setDefault(o, 'eventTime', null);
  setDefault(o, 'reportingComponent', '');
  setDefault(o, 'reportingInstance', '');
}

function validate(obj: KubeObject): FieldError[] {
  // Upstream skips ObjectMeta validation for core events; the name must still make a usable key.
  const meta = validateObjectMeta(asObj(obj).metadata, { namespaced: true, nameValidator: nameIsPathSegment })
    .filter((e) => e.field === 'metadata.name' || e.field === 'metadata.generateName');
  return [...meta, ...legacyValidateEvent(coreEventView(obj))];
}

export const coreEventStrategy: Strategy = {
  defaults,
  validate,
  validateUpdate: () => [],
};
