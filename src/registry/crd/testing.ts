// Test support: CRDs to start from.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';

export function clone<T>(v: T): T {
  return deepCopy(v);
}

/** A small valid v1 CRD (crontabs.stable.example.com) with one version. */
export function cronTabCRD(): KubeObject {
  return clone({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  cronSpec: { type: 'string' },
                  image: { type: 'string' },
                  replicas: { type: 'integer', minimum: 1, maximum: 10 },
                },
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      }],
    },
  }) as KubeObject;
}

/** The schema of the first version, for editing in tests. */
export function schemaOf(crd: KubeObject, i = 0): Record<string, any> {
  return (crd.spec as any).versions[i].schema.openAPIV3Schema;
}
