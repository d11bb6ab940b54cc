// Event validation shared by core/v1 Event and events.k8s.io/v1 Event. Both
// shapes are read into the field names upstream's internal type uses, which
// are also the names its error paths carry (e.g. `message`, `involvedObject`).

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { isObj } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { byteLength, isDNS1123Subdomain, isQualifiedName } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import { asObj, metaOf } from './common.ts';

/** An event in upstream's internal field names. */
export interface EventView {
  namespace: string;
  involvedObject: unknown;
  reason: unknown;
  message: unknown;
  source: unknown;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  count: unknown;
  type: unknown;
  eventTime: unknown;
  series: unknown;
  action: unknown;
  related: unknown;
  reportingController: unknown;
  reportingInstance: unknown;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function set(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '' && v !== 0;
}

export function coreEventView(obj: KubeObject): EventView {
  const o = asObj(obj);
  return {
    namespace: str(metaOf(obj).namespace), involvedObject: o.involvedObject, reason: o.reason, message: o.message,
    source: o.source, firstTimestamp: o.firstTimestamp, lastTimestamp: o.lastTimestamp, count: o.count, type: o.type,
    eventTime: o.eventTime, series: o.series, action: o.action, related: o.related,
    reportingController: o.reportingComponent, reportingInstance: o.reportingInstance,
  };
}

export function eventsV1View(obj: KubeObject): EventView {
  const o = asObj(obj);
  return {
    namespace: str(metaOf(obj).namespace), involvedObject: o.regarding, reason: o.reason, message: o.note,
    source: o.deprecatedSource, firstTimestamp: o.deprecatedFirstTimestamp, lastTimestamp: o.deprecatedLastTimestamp,
    count: o.deprecatedCount, type: o.type, eventTime: o.eventTime, series: o.series, action: o.action, related: o.related,
    reportingController: o.reportingController, reportingInstance: o.reportingInstance,
  };
}

/** legacyValidateEvent: what every event must satisfy, whichever API wrote it. */
export function legacyValidateEvent(e: EventView): FieldError[] {
  const errs: FieldError[] = [];
  const involved: Obj = isObj(e.involvedObject) ? e.involvedObject : {};
  const involvedNS = str(involved.namespace);
  if (!set(e.eventTime)) {
    if (involvedNS.length === 0) {
      if (e.namespace !== '' && e.namespace !== 'default') {
        errs.push(fieldError.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
      }
    } else if (e.namespace !== involvedNS) {
      errs.push(fieldError.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
    }
  } else {
    if (involvedNS.length === 0 && e.namespace !== 'default' && e.namespace !== 'kube-system') {
      errs.push(fieldError.invalid('involvedObject.namespace', involvedNS, 'does not match event.namespace'));
    }
    const rc = str(e.reportingController);
    if (rc.length === 0) errs.push(fieldError.required('reportingController'));
    for (const m of isQualifiedName(rc)) errs.push(fieldError.invalid('reportingController', rc, m));
    const ri = str(e.reportingInstance);
    if (ri.length === 0) errs.push(fieldError.required('reportingInstance'));
    if (byteLength(ri) > 128) errs.push(fieldError.invalid('reportingInstance', '', 'can have at most 128 characters'));
    const action = str(e.action);
    if (action.length === 0) errs.push(fieldError.required('action'));
    if (byteLength(action) > 128) errs.push(fieldError.invalid('action', '', 'can have at most 128 characters'));
    const reason = str(e.reason);
    if (reason.length === 0) errs.push(fieldError.required('reason'));
    if (byteLength(reason) > 128) errs.push(fieldError.invalid('reason', '', 'can have at most 128 characters'));
    if (byteLength(str(e.message)) > 1024) errs.push(fieldError.invalid('message', '', 'can have at most 1024 characters'));
  }
  for (const m of isDNS1123Subdomain(e.namespace)) errs.push(fieldError.invalid('namespace', e.namespace, m));
  return errs;
}

function validateSeries(e: EventView): FieldError[] {
  if (!isObj(e.series)) return [];
  const errs: FieldError[] = [];
  const count = typeof e.series.count === 'number' ? e.series.count : 0;
  if (count < 2) errs.push(fieldError.invalid('series.count', '', 'should be at least 2'));
  if (!set(e.series.lastObservedTime)) errs.push(fieldError.required('series.lastObservedTime'));
  return errs;
}

/** The stricter rules events.k8s.io/v1 applies to new events. */
export function strictValidateEventCreate(e: EventView): FieldError[] {
  const errs = validateSeries(e);
  if (!set(e.eventTime)) errs.push(fieldError.required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(fieldError.invalid('type', '', `has invalid value: ${str(e.type)}`));
  if (set(e.firstTimestamp)) errs.push(fieldError.invalid('firstTimestamp', '', 'needs to be unset'));
  if (set(e.lastTimestamp)) errs.push(fieldError.invalid('lastTimestamp', '', 'needs to be unset'));
  if (set(e.count)) errs.push(fieldError.invalid('count', '', 'needs to be unset'));
  const src = isObj(e.source) ? e.source : {};
  if (str(src.component) !== '' || str(src.host) !== '') errs.push(fieldError.invalid('source', '', 'needs to be unset'));
  return errs;
}

/** events.k8s.io/v1 updates: almost everything is immutable. */
export function strictValidateEventUpdate(e: EventView, old: EventView): FieldError[] {
  const errs: FieldError[] = [];
  if (JSON.stringify(e.series) !== JSON.stringify(old.series)) errs.push(...validateSeries(e));
  const fields: Array<keyof EventView> = ['involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count',
    'reason', 'type', 'eventTime', 'action', 'related', 'reportingController', 'reportingInstance'];
  for (const f of fields) errs.push(...validateImmutableField(e[f], old[f], f));
  return errs;
}
