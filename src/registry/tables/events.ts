// Event tables for core/v1 Events and events.k8s.io Events. A real server
// prints both from the same internal type, so the columns are identical;
// only the field names read differ.

import type { KubeObject } from '../../api/types.ts';
import type { TableDef } from '../types.ts';
import { column, int, isObj, isZeroTime, nameColumn, nameOf, parseTime, rec, str, translateTimestampSince, trimSpace, wide } from './format.ts';

/** The fields the printer needs, whichever API version they came from. */
interface EventView {
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series: Record<string, unknown> | undefined;
  involved: Record<string, unknown>;
  source: Record<string, unknown>;
  reportingController: string;
  reportingInstance: string;
  type: string;
  reason: string;
  message: string;
}

function coreView(e: KubeObject): EventView {
  return {
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
    count: int(e.count),
    series: isObj(e.series) ? e.series : undefined,
    involved: rec(e.involvedObject),
    source: rec(e.source),
    reportingController: str(e.reportingComponent),
    reportingInstance: str(e.reportingInstance),
    type: str(e.type),
    reason: str(e.reason),
    message: str(e.message),
  };
}

function eventsV1View(e: KubeObject): EventView {
  return {
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    eventTime: e.eventTime,
    count: int(e.deprecatedCount),
    series: isObj(e.series) ? e.series : undefined,
    involved: rec(e.regarding),
    source: rec(e.deprecatedSource),
    reportingController: str(e.reportingController),
    reportingInstance: str(e.reportingInstance),
    type: str(e.type),
    reason: str(e.reason),
    message: str(e.note),
  };
}

function since(ts: unknown, now: Date): string {
  return translateTimestampSince(typeof ts === 'string' ? ts : undefined, now);
}

function eventCells(e: KubeObject, v: EventView, now: Date) {
  const hasFirst = !isZeroTime(parseTime(v.firstTimestamp));
  const first = hasFirst ? since(v.firstTimestamp, now) : since(v.eventTime, now);
  let last = !isZeroTime(parseTime(v.lastTimestamp)) ? since(v.lastTimestamp, now) : first;
  let count = v.count;
  if (v.series) {
    last = since(v.series.lastObservedTime, now);
    count = int(v.series.count);
  } else if (count === 0) {
    count = 1; // singleton events carry no count in the newer API
  }
  const kind = str(v.involved.kind).toLowerCase();
  const name = str(v.involved.name);
  const target = name ? `${kind}/${name}` : kind;
  const component = str(v.source.component) || v.reportingController;
  const instance = str(v.source.host) || v.reportingInstance;
  const source = instance ? `${component}, ${instance}` : component;
  return [
    last, v.type, v.reason, target, str(v.involved.fieldPath), source, trimSpace(v.message), first, count, nameOf(e),
  ];
}

const eventColumns = [
  column('Last Seen', 'string', 'Time since the event was last observed.'),
  column('Type', 'string', 'Normal or Warning.'),
  column('Reason', 'string', 'Short machine-readable cause of the event.'),
  column('Object', 'string', 'The object the event is about.'),
  wide('Subobject', 'string', 'Part of the object the event is about, such as a container.'),
  wide('Source', 'string', 'Component (and host) that reported the event.'),
  column('Message', 'string', 'Human-readable description of the event.'),
  wide('First Seen', 'string', 'Time since the event was first observed.'),
  wide('Count', 'string', 'How many times the event has occurred.'),
  { ...nameColumn('Name of the event object.'), priority: 1 as const },
];

export const eventTable: TableDef = {
  columns: eventColumns,
  cells: (e, now) => eventCells(e, coreView(e), now),
};

export const eventsV1Table: TableDef = {
  columns: eventColumns,
  cells: (e, now) => eventCells(e, eventsV1View(e), now),
};
