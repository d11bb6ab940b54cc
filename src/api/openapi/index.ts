// The OpenAPI documents of the built-in API groups, as kube-apiserver serves them:
//   /openapi/v3                      root: one serverRelativeURL (with a content hash) per document
//   /openapi/v3/api/v1, /openapi/v3/apis/<group>/<version>   one OpenAPI v3 document each
//   /openapi/v2                      one swagger 2.0 document, JSON or gnostic protobuf
//
// Derived ahead of time by scripts/gen-openapi.ts into ./generated/ and read
// lazily on the first request that needs them. v3.ts is light (it only hashes
// bytes); v2.ts parses, filters and encodes, so a server may import them separately.

export type { OpenAPIV3Root, V3Document } from './v3.ts';
export {
  builtinDocumentPaths, builtinGroupVersionPaths, contentHash, groupDocumentOf, makeV3Document, openapiV3Document,
  openapiV3Root, serverRelativeURL,
} from './v3.ts';
export type { Encoded } from './v2.ts';
export { openapiV2Document, openapiV2Json, openapiV2Protobuf } from './v2.ts';
export { documentOfPath, documentPathOf } from './paths.ts';
// Custom resources: documents built from CustomResourceDefinitions (crd.ts; loads v2.ts).
export type { CRDOpenAPIV2, OpenAPIV2WithCRDs } from './crd.ts';
export {
  crdDocumentsFor, crdModelName, crdOpenAPIV2Definitions, crdOpenAPIV3, isEstablished, mergeV3Documents, openapiV2WithCRDs,
} from './crd.ts';
