// Structural schema rules (upstream's pkg/apiserver/schema NewStructural and
// ValidateStructural): every field and item specified with a type outside of
// value validations (allOf/anyOf/oneOf/not), which may only restrict what is
// specified; metadata at the root restricted to name and generateName; the
// int-or-string and embedded-resource forms. Messages and paths as upstream;
// the errors come back sorted by their text, as upstream sorts them.

import { fieldError, formatFieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index, key } from '../../api/validation/fieldpath.ts';
import { additionalSchema, itemsSchema } from './props.ts';
import type { Props } from './props.ts';
import { compileGoRegexp } from './regex.ts';

/** Why upstream's NewStructural refuses a schema, or undefined. */
export function newStructuralError(p: Props | undefined, depth = 0): string | undefined {
  if (!p || depth > 256) return undefined;
  if (p.id) return "OpenAPIV3Schema 'id' is not supported";
  if (p.$schema) return "OpenAPIV3Schema 'schema' is not supported";
  if (p.$ref) return "OpenAPIV3Schema '$ref' is not supported";
  if (p.patternProperties && p.patternProperties.size > 0) return "OpenAPIV3Schema 'patternProperties' is not supported";
  if (p.dependencies && p.dependencies.size > 0) return "OpenAPIV3Schema 'dependencies' is not supported";
  if (p.additionalItems !== undefined) return "OpenAPIV3Schema 'additionalItems' is not supported";
  if (p.definitions && p.definitions.size > 0) return "OpenAPIV3Schema 'definitions' is not supported";
  if (p.xPreserveUnknownFields === false) return "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined";
  for (const l of [p.allOf, p.anyOf, p.oneOf]) for (const x of l ?? []) {
    const e = newStructuralError(x, depth + 1);
    if (e) return e;
  }
  if (p.not) {
    const e = newStructuralError(p.not, depth + 1);
    if (e) return e;
  }
  if (Array.isArray(p.items) && p.items.length > 0) return "OpenAPIV3Schema 'items' must be a schema, but is an array";
  const items = itemsSchema(p);
  if (items) {
    const e = newStructuralError(items, depth + 1);
    if (e) return e;
  }
  for (const x of p.properties?.values() ?? []) {
    const e = newStructuralError(x, depth + 1);
    if (e) return e;
  }
  const ap = additionalSchema(p);
  if (ap) return newStructuralError(ap, depth + 1);
  return undefined;
}

type Level = 'root' | 'item' | 'field';

/** A property map that counts as set (Go: a non-empty map). */
function hasProps(p: Props): boolean {
  return p.properties !== undefined && p.properties.size > 0;
}

/** The structural form's AdditionalProperties is non-nil (a schema, true or false). */
function structuralAdditional(p: Props): boolean {
  return p.additionalProperties !== undefined;
}

/** `- type: integer` / `- type: string` and nothing else (the int-or-string clauses). */
function isTypeOnly(p: Props, type: string): boolean {
  if (p.type !== type) return false;
  for (const [k, v] of Object.entries(p.raw)) {
    if (k === 'type') continue;
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && k !== 'not' && k !== 'items') continue;
    if (Array.isArray(v) && v.length === 0 && k !== 'required') continue;
    return false;
  }
  return true;
}

function isIntOrStringAnyOf(anyOf: Props[] | undefined): boolean {
  return anyOf !== undefined && anyOf.length === 2 && isTypeOnly(anyOf[0]!, 'integer') && isTypeOnly(anyOf[1]!, 'string');
}

export function isIntOrStringAnyOfPattern(p: Props): boolean {
  return isIntOrStringAnyOf(p.anyOf);
}

export function isIntOrStringAllOfPattern(p: Props): boolean {
  return (p.allOf?.length ?? 0) >= 1 && isIntOrStringAnyOf(p.allOf![0]!.anyOf);
}

function validatePattern(p: Props, path: string, errs: FieldError[]): void {
  if (!p.pattern) return;
  try {
    compileGoRegexp(p.pattern);
  } catch (e) {
    errs.push(fieldError.invalid(child(path, 'pattern'), p.pattern, `must be a valid regular expression, but isn't: ${(e as Error).message}`));
  }
}

/** The value validation part of a node: its junctors and pattern. */
function validateValueValidation(p: Props, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, path: string, errs: FieldError[]): void {
  if (!skipAnyOf) p.anyOf?.forEach((x, i) => validateNested(x, false, false, index(child(path, 'anyOf'), i), errs));
  p.allOf?.forEach((x, i) => validateNested(x, skipFirstAllOfAnyOf && i === 0, false, index(child(path, 'allOf'), i), errs));
  p.oneOf?.forEach((x, i) => validateNested(x, false, false, index(child(path, 'oneOf'), i), errs));
  if (p.not) validateNested(p.not, false, false, child(path, 'not'), errs);
  validatePattern(p, path, errs);
}

/** A schema inside a value validation: it may restrict, never specify. */
function validateNested(p: Props, skipAnyOf: boolean, skipAllOfAnyOf: boolean, path: string, errs: FieldError[]): void {
  validateValueValidation(p, skipAnyOf, skipAllOfAnyOf, path, errs);
  const items = itemsSchema(p);
  if (items) validateNested(items, false, false, child(path, 'items'), errs);
  for (const [k, v] of p.properties ?? []) validateNested(v, false, false, key(child(path, 'properties'), k), errs);
  if (p.type) errs.push(fieldError.forbidden(child(path, 'type'), 'must be empty to be structural'));
  // In nested form, `additionalProperties: false` is no value at all.
  if (p.additionalProperties !== undefined && p.additionalProperties !== false) {
    errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must be undefined to be structural'));
  }
  if (p.default !== undefined) errs.push(fieldError.forbidden(child(path, 'default'), 'must be undefined to be structural'));
  if (p.title) errs.push(fieldError.forbidden(child(path, 'title'), 'must be empty to be structural'));
  if (p.description) errs.push(fieldError.forbidden(child(path, 'description'), 'must be empty to be structural'));
  if (p.nullable) errs.push(fieldError.forbidden(child(path, 'nullable'), 'must be false to be structural'));
  if (p.xPreserveUnknownFields) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-preserve-unknown-fields'), 'must be false to be structural'));
  if (p.xEmbeddedResource) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must be false to be structural'));
  if (p.xIntOrString) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-int-or-string'), 'must be false to be structural'));
  if ((p.xListMapKeys?.length ?? 0) > 0) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-list-map-keys'), 'must be empty to be structural'));
  if (p.xListType !== undefined) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-list-type'), 'must be undefined to be structural'));
  if (p.xMapType !== undefined) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-map-type'), 'must be undefined to be structural'));
  if ((p.xValidations?.length ?? 0) > 0) errs.push(fieldError.forbidden(child(path, 'x-kubernetes-validations'), 'must be empty to be structural'));
  if (p.properties?.has('metadata')) errs.push(fieldError.forbidden(key(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'));
}

/** Whether a metadata schema at the root says nothing but name/generateName constraints. */
function metadataIsImplicitOnly(m: Props): boolean {
  const names = m.properties ? [...m.properties.keys()] : [];
  const onlyNames = names.length > 0 && names.every((n) => n === 'name' || n === 'generateName');
  for (const [k, v] of Object.entries(m.raw)) {
    if (k === 'type' || k === 'default') continue;
    if (k === 'properties' && (onlyNames || names.length === 0)) continue;
    if (v === undefined || v === null || v === '' || (v === false && k !== 'additionalProperties')) continue;
    // Empty lists are unset, except `required: []`, which Go keeps as a non-nil list.
    if (Array.isArray(v) && v.length === 0 && k !== 'required') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 && (k === 'patternProperties' || k === 'definitions' || k === 'dependencies')) continue;
    return false;
  }
  return true;
}

function validateMetadataInvariants(m: Props, checkMetadata: boolean, level: Level, path: string, errs: FieldError[]): void {
  if (checkMetadata && m.type !== 'object') errs.push(fieldError.invalid(child(path, 'type'), m.type ?? '', 'must be object'));
  if (level === 'root' && !metadataIsImplicitOnly(m)) {
    errs.push(fieldError.forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
  }
}

function validateInvariants(p: Props, level: Level, path: string, errs: FieldError[], depth: number): void {
  if (depth > 256) return;
  const items = itemsSchema(p);
  if (p.type === 'array' && !items) errs.push(fieldError.required(child(path, 'items'), 'must be specified'));
  if (items) validateInvariants(items, 'item', child(path, 'items'), errs, depth + 1);
  for (const [k, v] of p.properties ?? []) validateInvariants(v, 'field', key(child(path, 'properties'), k), errs, depth + 1);
  if (structuralAdditional(p)) {
    if (level === 'root') errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    const ap = additionalSchema(p);
    if (ap) validateInvariants(ap, 'field', child(path, 'additionalProperties'), errs, depth + 1);
  }

  if (p.xIntOrString && p.xPreserveUnknownFields) {
    errs.push(fieldError.invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (p.xIntOrString && p.xEmbeddedResource) {
    errs.push(fieldError.invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }

  validateValueValidation(p, isIntOrStringAnyOfPattern(p), isIntOrStringAllOfPattern(p), path, errs);

  const checkMetadata = level === 'root' || p.xEmbeddedResource === true;
  const type = p.type ?? '';
  if (p.xEmbeddedResource && type !== 'object') {
    if (type === '') errs.push(fieldError.required(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(fieldError.invalid(child(path, 'type'), type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (type === '' && !p.xIntOrString && !p.xPreserveUnknownFields) {
    const where = level === 'root' ? 'at the root' : level === 'item' ? 'for specified array items' : 'for specified object fields';
    errs.push(fieldError.required(child(path, 'type'), `must not be empty ${where}`));
  }
  if (p.xEmbeddedResource && structuralAdditional(p)) {
    errs.push(fieldError.forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (level === 'root' && type !== '' && type !== 'object') errs.push(fieldError.invalid(child(path, 'type'), type, 'must be object at the root'));

  const kind = p.properties?.get('kind');
  if (kind && checkMetadata && kind.type !== 'string') {
    errs.push(fieldError.invalid(child(key(child(path, 'properties'), 'kind'), 'type'), kind.type ?? '', 'must be string'));
  }
  const apiVersion = p.properties?.get('apiVersion');
  if (apiVersion && checkMetadata && apiVersion.type !== 'string') {
    errs.push(fieldError.invalid(child(key(child(path, 'properties'), 'apiVersion'), 'type'), apiVersion.type ?? '', 'must be string'));
  }
  const metadata = p.properties?.get('metadata');
  if (metadata) validateMetadataInvariants(metadata, checkMetadata, level, key(child(path, 'properties'), 'metadata'), errs);

  if (p.xEmbeddedResource && !p.xPreserveUnknownFields && !hasProps(p)) {
    errs.push(fieldError.required(child(path, 'properties'), 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
  }
}

function completenessNested(v: Props | undefined, s: Props | undefined, sPath: string, vPath: string, errs: FieldError[]): void {
  if (!v) return;
  if (!s) {
    errs.push(fieldError.required(sPath, `because it is defined in ${vPath}`));
    return;
  }
  completenessValue(v, s, sPath, vPath, errs);
  completenessNested(itemsSchema(v), itemsSchema(s), child(sPath, 'items'), child(vPath, 'items'), errs);
  for (const [k, vf] of v.properties ?? []) {
    const sf = s.properties?.get(k);
    if (!sf) {
      errs.push(fieldError.required(key(child(sPath, 'properties'), k), `because it is defined in ${key(child(vPath, 'properties'), k)}`));
    } else {
      completenessNested(vf, sf, key(child(sPath, 'properties'), k), key(child(vPath, 'properties'), k), errs);
    }
  }
}

function completenessValue(v: Props, s: Props, sPath: string, vPath: string, errs: FieldError[]): void {
  if (v.not) completenessNested(v.not, s, sPath, child(vPath, 'not'), errs);
  v.allOf?.forEach((x, i) => completenessNested(x, s, sPath, index(child(vPath, 'allOf'), i), errs));
  v.anyOf?.forEach((x, i) => completenessNested(x, s, sPath, index(child(vPath, 'anyOf'), i), errs));
  v.oneOf?.forEach((x, i) => completenessNested(x, s, sPath, index(child(vPath, 'oneOf'), i), errs));
}

/** The structural schema violations of a (root) schema, sorted by their text as upstream does. */
export function validateStructural(path: string, p: Props): FieldError[] {
  const errs: FieldError[] = [];
  validateInvariants(p, 'root', path, errs, 0);
  completenessValue(p, p, path, path, errs);
  return errs
    .map((e) => ({ e, s: formatFieldError(e) }))
    .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0))
    .map((x) => x.e);
}

/** A schema is structural when NewStructural accepts it and ValidateStructural finds nothing. */
export function isStructural(p: Props): boolean {
  return newStructuralError(p) === undefined && validateStructural('', p).length === 0;
}
