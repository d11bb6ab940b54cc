// core/v1 Event <-> events.k8s.io/v1 Event: the same objects under two shapes.
// Stored as core/v1.

import type { KubeObject } from '../../api/types.ts';

/** core/v1 field -> events.k8s.io/v1 field, for the fields whose names differ. */
const renamed: [string, string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

function rename(obj: KubeObject, pairs: [string, string][], apiVersion: string): KubeObject {
  const out: KubeObject = { ...obj, apiVersion, kind: 'Event' };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

export function eventsToCore(obj: KubeObject): KubeObject {
  return rename(obj, renamed.map(([a, b]) => [b, a]), 'v1');
}

export function eventsFromCore(obj: KubeObject): KubeObject {
  const out = rename(obj, renamed, 'events.k8s.io/v1');
  // events.k8s.io requires a reporting controller; old core events only had a source.
  if (out.reportingController === undefined && (obj.source as { component?: string } | undefined)?.component) {
    out.reportingController = (obj.source as { component: string }).component;
  }
  return out;
}
