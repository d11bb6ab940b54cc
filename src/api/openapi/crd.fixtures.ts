// A sample CustomResourceDefinition for the CRD OpenAPI tests: two served
// versions, status and scale subresources, printer and selectable fields, and a
// schema with nested objects, arrays, maps, int-or-string, nullable,
// embedded resources, preserved unknown fields and validation rules.

export function widgetCRD(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', uid: '6f0d5a52-1111-4c4c-9999-000000000001', resourceVersion: '42', generation: 1 },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'], categories: ['all'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
          },
          additionalPrinterColumns: [
            { name: 'Size', type: 'string', jsonPath: '.spec.size' },
            { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          selectableFields: [{ jsonPath: '.spec.color' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'Widget is a made-up resource that the tests publish.',
              required: ['spec'],
              properties: {
                spec: {
                  type: 'object',
                  description: 'WidgetSpec says what the widget should look like.',
                  required: ['size'],
                  'x-kubernetes-validations': [{ rule: 'self.replicas <= 10', message: 'at most 10 replicas' }],
                  properties: {
                    size: {
                      description: 'How big the widget is: a count of units or a quantity such as 10Gi.',
                      'x-kubernetes-int-or-string': true,
                    },
                    replicas: { type: 'integer', format: 'int32', minimum: 0, default: 1, description: 'How many copies to make.' },
                    color: { type: 'string', enum: ['red', 'green', 'blue'], example: 'red', description: 'The paint.' },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                    limits: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true } },
                    ports: {
                      type: 'array',
                      description: 'Ports the widget listens on.',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['name'],
                      items: {
                        type: 'object',
                        required: ['name', 'port'],
                        properties: {
                          name: { type: 'string' },
                          port: { type: 'integer', format: 'int32', maximum: 65535, exclusiveMaximum: false },
                          protocol: { type: 'string', default: 'TCP' },
                        },
                      },
                    },
                    matrix: { type: 'array', items: { type: 'array', items: { type: 'integer' } } },
                    note: { type: 'string', nullable: true },
                    owner: {
                      type: 'object',
                      nullable: true,
                      properties: { name: { type: 'string' } },
                    },
                    template: {
                      type: 'object',
                      description: 'An object the widget creates.',
                      'x-kubernetes-embedded-resource': true,
                      'x-kubernetes-preserve-unknown-fields': true,
                    },
                    config: {
                      type: 'object',
                      'x-kubernetes-preserve-unknown-fields': true,
                      properties: { mode: { type: 'string' } },
                    },
                    choice: {
                      type: 'object',
                      properties: { a: { type: 'string' }, b: { type: 'string' } },
                      oneOf: [{ required: ['a'] }, { required: ['b'] }],
                    },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    replicas: { type: 'integer', format: 'int32' },
                    selector: { type: 'string' },
                    conditions: {
                      type: 'array',
                      items: {
                        type: 'object',
                        required: ['type', 'status'],
                        properties: {
                          type: { type: 'string' },
                          status: { type: 'string' },
                          lastTransitionTime: { type: 'string', format: 'date-time' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
        {
          name: 'v1beta1',
          served: true,
          storage: false,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'Widget (beta).',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'string', description: 'Size, as text.' } } },
              },
            },
          },
        },
        {
          name: 'v1alpha1',
          served: false,
          storage: false,
          schema: { openAPIV3Schema: { type: 'object' } },
        },
      ],
    },
    status: {
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      acceptedNames: { plural: 'widgets', kind: 'Widget' },
      storedVersions: ['v1'],
    },
  };
}

/** A second, cluster-scoped kind in the same group/version. */
export function gadgetCRD(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.example.com', uid: '6f0d5a52-1111-4c4c-9999-000000000002', resourceVersion: '43' },
    spec: {
      group: 'example.com',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      scope: 'Cluster',
      versions: [{
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      }],
    },
    status: { conditions: [{ type: 'Established', status: 'True' }] },
  };
}
