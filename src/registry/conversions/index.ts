// Conversions between the versions of resources that share storage. Each
// resource is stored in one version; requests in another version convert on
// the way in and out.

import type { KubeObject } from '../../api/types.ts';
import { eventsFromCore, eventsToCore } from './events.ts';
import { hpaV1ToV2, hpaV2ToV1 } from './hpa.ts';

export interface Conversion {
  /** The apiVersion objects are stored in. */
  storageVersion: string;
  /** Convert an object (in any served version) to `apiVersion`. */
  convert(obj: KubeObject, apiVersion: string): KubeObject;
}

function pair(storageVersion: string, other: string, toStorage: (o: KubeObject) => KubeObject, fromStorage: (o: KubeObject) => KubeObject): Conversion {
  return {
    storageVersion,
    convert(obj, apiVersion) {
      if (obj.apiVersion === apiVersion) return obj;
      const stored = obj.apiVersion === other ? toStorage(obj) : obj;
      return apiVersion === other ? fromStorage(stored) : { ...stored, apiVersion };
    },
  };
}

const byStorage: Record<string, Conversion> = {
  'autoscaling/horizontalpodautoscalers': pair('autoscaling/v2', 'autoscaling/v1', hpaV1ToV2, hpaV2ToV1),
  '/events': pair('v1', 'events.k8s.io/v1', eventsToCore, eventsFromCore),
};

/** The conversion of a storage group/resource, when several versions share it. */
export function conversionFor(storage: { group: string; resource: string }): Conversion | undefined {
  return byStorage[`${storage.group}/${storage.resource}`];
}
