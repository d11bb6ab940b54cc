// CustomResourceDefinitions and custom resources, everything but HTTP serving and
// controllers: CRD defaults and validation (structural schemas included), the
// served resources a CRD declares, and for custom resources their schema in
// SchemaNode form, validation, pruning, defaulting and printing.

// The CRD kind itself
export { crdStrategy, crdWarnings, defaultCRD, normalizeSchemaJSON } from './crd-strategy.ts';
export { internalSpec, isCRDConditionTrue, namesOf, resolveFieldPath, validateCRD, validateCRDStatusUpdate, validateCRDUpdate } from './crd-validation.ts';
export type { InternalSpec, Names } from './crd-validation.ts';

// What a CRD serves
export { crdNamesConflict, noneConversion, resourceDefsForCRD } from './resource-defs.ts';
export type { NamesVerdict } from './resource-defs.ts';
export { compareVersionPriority, deprecationWarningFor, servedVersionsOf, storageVersionOf, versionSchema, versionSchemaJSON } from './versions.ts';

// Custom resources
export { coerceAndDefault, customResourceStrategy } from './cr-strategy.ts';
export type { CustomResourceStrategyOptions } from './cr-strategy.ts';
export { schemaNodeFor, objectMetaRef } from './schema.ts';
export {
  validateCustomResource, validateCustomResourceStatusUpdate, validateCustomResourceUpdate, validateEmbeddedResources,
  validateListSetsAndMaps, validateScaleSpec, validateScaleStatus, validateValue,
} from './validate.ts';
export type { CustomResourceContext, ScalePaths, SchemaValidationOptions } from './validate.ts';
export { coerceMetadata, pruneNonNullableNulls, pruneUnknown } from './prune.ts';
export type { PruneOptions } from './prune.ts';
export { applyDefaults } from './defaults.ts';
export { creationTimestampDescription, nameColumnDescription, printerColumnsFor, tableForColumns, tableForCRDVersion } from './printer.ts';
export type { PrinterColumn } from './printer.ts';

// Schemas
export { toProps } from './props.ts';
export type { Props, ValidationRule } from './props.ts';
export { isStructural, newStructuralError, validateStructural } from './structural.ts';
export { checkStringFormat, effectiveFormat, isKnownStringFormat } from './formats.ts';
export { compileGoRegexp, GoRegexpError } from './regex.ts';
export { blockingError, hasValidationRules, validateCELRules } from './cel.ts';
export type { CELValidationOptions } from './cel.ts';
