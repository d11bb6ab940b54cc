// The CustomResourceDefinition of the CRD suites: example.com Widget with two
// versions (v1 stored, v1beta1), status and scale subresources, printer columns
// (one of them a date), short name wd, categories all and gadgets, and a schema
// with an enum, a pattern, minimum/maximum, defaults and required fields.

export const CRD = 'customresourcedefinition.apiextensions.k8s.io/widgets.example.com';

function versionSchema(indent: string): string {
  return `
openAPIV3Schema:
  type: object
  description: A Widget is a test gadget.
  properties:
    spec:
      type: object
      description: WidgetSpec is the desired state of a Widget.
      required: [size, color]
      properties:
        size:
          type: integer
          minimum: 1
          maximum: 10
          description: Size of the widget.
        color:
          type: string
          enum: [red, green, blue]
          description: Color of the widget.
        code:
          type: string
          pattern: '^[a-z]{3}-[0-9]+$'
        replicas:
          type: integer
          default: 1
        tier:
          type: string
          default: standard
        releasedAt:
          type: string
          format: date-time
    status:
      type: object
      properties:
        phase:
          type: string
        replicas:
          type: integer
        selector:
          type: string
`.trim().split('\n').map((l) => indent + l).join('\n');
}

function version(name: string, storage: boolean): string {
  return `  - name: ${name}
    served: true
    storage: ${storage}
    schema:
${versionSchema('      ')}
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - name: Color
      type: string
      jsonPath: .spec.color
    - name: Size
      type: integer
      jsonPath: .spec.size
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Released
      type: date
      jsonPath: .spec.releasedAt
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp`;
}

export const crdYaml = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    kind: Widget
    listKind: WidgetList
    plural: widgets
    singular: widget
    shortNames: [wd]
    categories: [all, gadgets]
  versions:
${version('v1', true)}
${version('v1beta1', false)}
`;
