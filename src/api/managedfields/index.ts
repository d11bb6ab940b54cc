// Field ownership and server-side apply (metadata.managedFields), as a library.
export {
  FieldSet, FieldsV1Error, compareElements, compareValues, deserializeElement, elementString, elementsEqual,
  fieldElement, indexElement, keyElement, makePath, pathString, serializeElement, valueElement, valueString,
} from './fieldpath.ts';
export type { Path, PathElement } from './fieldpath.ts';
export { DEDUCED, NONE, UNTYPED, resolve, rootType, typeRef } from './atoms.ts';
export type { Atom, ListAtom, MapAtom, ScalarKind, TypeRef } from './atoms.ts';
export {
  TypedValueError, compare, ensureNamedFieldsAreMembers, formatTypedErrors, isSame, listItemElement, merge,
  removeItems, toFieldSet, validate, zeroObject,
} from './typed.ts';
export type { Comparison, TypedError } from './typed.ts';
export {
  ConflictsError, ManagedFieldsError, conflictError, conflictMessage, decodeManagedFields, emptyManaged,
  encodeManagedFields, formatTime, isResetManagedFields, managerIdentifier, printManager, sortManagedFields,
} from './managers.ts';
export type { Conflict, Managed, ManagerInfo, VersionedSet } from './managers.ts';
export { updaterApply, updaterUpdate } from './updater.ts';
export type { ApplyOutcome } from './updater.ts';
export {
  FIELD_MANAGER_MAX_LENGTH, LAST_APPLIED_ANNOTATION, MAX_UPDATE_MANAGERS, buildLastApplied, carryTypeCheck, defaultManager,
  managerName, parentManagedFieldsFromScale, recordUpdate, resetFields, revertNoopTimestamps, scaleManagedFields,
  serverSideApply, specResetFields, statusResetFields, withManagedFields,
} from './fieldmanager.ts';
export type { RecordUpdateArgs, ReplicasPaths, ServerSideApplyArgs, ServerSideApplyResult } from './fieldmanager.ts';
