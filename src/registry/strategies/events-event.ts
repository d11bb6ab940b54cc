// events.k8s.io/v1 Event: the legacy checks plus the strict rules for new
// events and the immutability of an event's content on update.

import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { setDefault } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, validateMeta, validateMetaUpdate } from './common.ts';
import { eventsV1View, legacyValidateEvent, strictValidateEventCreate, strictValidateEventUpdate } from './event-validation.ts';

function defaults(obj: KubeObject): void {
  const o = asObj(obj);
  setDefault(o, 'regarding', {});
  setDefault(o, 'deprecatedSource', {});
  setDefault(o, 'deprecatedFirstTimestamp', null);
  setDefault(o, 'deprecatedLastTimestamp', null);
  setDefault(o, 'eventTime', null);
}

export const eventsV1EventStrategy: Strategy = {
  defaults,
  validate(obj): FieldError[] {
    const view = eventsV1View(obj);
    return [...legacyValidateEvent(view), ...validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain })];
  },
  validateCreate(obj): FieldError[] {
    return strictValidateEventCreate(eventsV1View(obj));
  },
  validateUpdate(obj, old): FieldError[] {
    return [...validateMetaUpdate(obj, old), ...strictValidateEventUpdate(eventsV1View(obj), eventsV1View(old))];
  },
};
