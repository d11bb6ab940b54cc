// Decoding a create/update request body (JSON or YAML) into an object the way
// kube-apiserver's handlers do, with their exact 400 texts:
//   - malformed body: `the object provided is unrecognized (must be of type Pod):
//     couldn't get version/kind; json parse error: <Go text> (<first 30 bytes> ...)`
//   - strict problems (fieldValidation=Strict): `Pod in version "v1" cannot be handled
//     as a Pod: strict decoding error: unknown field "spec.foo", duplicate field "x"`
// Strict problems are returned, not thrown: the caller applies its directive.
import { ApiError } from '../errors.ts';
import { isPlainObject } from '../types.ts';
import type { JsonObject, JsonValue } from '../types.ts';
import { schemaTracker, strictDecodingMessage, trackerRoot, unknownFields } from '../schema/strict.ts';
import type { SchemaNode } from '../schema/types.ts';
import { JsonSyntaxError, JsonValueError, decodeJson, strictFieldErrorText } from './json.ts';
import { YamlError, decodeYaml, yamlStrictErrorText } from './yaml.ts';

export type BodyFormat = 'json' | 'yaml';

export interface Gvk { group: string; version: string; kind: string }

export interface DecodeBodyOptions {
  format: BodyFormat;
  /** The kind the endpoint decodes into; defaults the body's apiVersion/kind and names it in errors. */
  into: Gvk;
  /** The kind's schema, to find unknown fields; without it only duplicates are found. */
  schema?: SchemaNode;
  /** Collect strict problems (false for fieldValidation=Ignore: nothing is checked). */
  strict: boolean;
}

export interface DecodedBody {
  object: JsonObject;
  /** apiVersion/kind of the body, completed from `into` as upstream does. */
  gvk: Gvk;
  /** Upstream's strict problem texts in upstream's order. */
  strictErrors: string[];
}

/** Upstream's summary of a body in error messages: up to 30 bytes, hex unless it starts with `{`. */
export function summarizeBody(body: string | Uint8Array, max = 30): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length === 0) return '<empty>';
  const cut = bytes.length > max;
  const head = bytes.subarray(0, max);
  const text = bytes[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return cut ? `${text} ...` : text;
}

/** 400 for a body that could not even be read as an object. */
export function unrecognizedBodyError(intoKind: string, cause: string, body: string | Uint8Array): ApiError {
  return new ApiError(400, 'BadRequest', `the object provided is unrecognized (must be of type ${intoKind}): ${cause} (${summarizeBody(body)})`);
}

/** 400 for a body whose kind is known but which could not be decoded into it. */
export function cannotHandleError(body: Gvk, intoKind: string, cause: string): ApiError {
  return new ApiError(400, 'BadRequest', `${body.kind} in version ${JSON.stringify(body.version)} cannot be handled as a ${intoKind}: ${cause}`);
}

/** The Strict-mode failure for strict problems. */
export function strictDecodingError(body: Gvk, intoKind: string, strictErrors: readonly string[]): ApiError {
  return cannotHandleError(body, intoKind, strictDecodingMessage(strictErrors));
}

const findKindType = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

function goJsonType(v: JsonValue): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** What upstream's SimpleMetaFactory.Interpret finds, or its error text. */
function interpret(v: JsonValue): { gvk: Gvk } | { error: string } {
  if (v === null) return { gvk: { group: '', version: '', kind: '' } };
  if (!isPlainObject(v)) {
    return { error: `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(v)} into Go value of type ${findKindType}` };
  }
  for (const f of ['apiVersion', 'kind'] as const) {
    const x = v[f];
    if (x !== undefined && x !== null && typeof x !== 'string') {
      return { error: `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJsonType(x as JsonValue)} into Go struct field .${f} of type string` };
    }
  }
  const apiVersion = typeof v['apiVersion'] === 'string' ? v['apiVersion'] : '';
  const kind = typeof v['kind'] === 'string' ? v['kind'] : '';
  if (apiVersion === '' || apiVersion === '/') return { gvk: { group: '', version: '', kind } };
  const slashes = apiVersion.split('/').length - 1;
  if (slashes === 0) return { gvk: { group: '', version: apiVersion, kind } };
  if (slashes === 1) {
    const [group, version] = apiVersion.split('/') as [string, string];
    return { gvk: { group, version, kind } };
  }
  return { error: `unexpected GroupVersion string: ${apiVersion}` };
}

/** Upstream's gvkWithDefaults. */
function withDefaults(actual: Gvk, def: Gvk): Gvk {
  const out = { ...actual };
  if (out.kind === '') out.kind = def.kind;
  if (out.version === '' && out.group === '') {
    out.group = def.group;
    out.version = def.version;
  }
  if (out.version === '' && out.group === def.group) out.version = def.version;
  return out;
}

/**
 * Decodes a request body. Throws ApiError 400 with upstream's wording when the body
 * is malformed; returns strict problems (duplicates, unknown fields) for the caller.
 */
export function decodeBody(body: string | Uint8Array, opts: DecodeBodyOptions): DecodedBody {
  const intoKind = opts.into.kind;
  let value: JsonValue;
  const strictErrors: string[] = [];
  let jsonStrict: string[] = [];
  if (opts.format === 'yaml') {
    let decoded;
    try {
      decoded = decodeYaml(body);
    } catch (e) {
      if (e instanceof YamlError) throw unrecognizedBodyError(intoKind, e.message, body);
      throw e;
    }
    value = decoded.value;
    if (opts.strict && decoded.duplicates.length > 0) strictErrors.push(yamlStrictErrorText(decoded.duplicates));
    // Upstream re-encodes YAML as JSON (keys sorted) before the strict JSON decode.
    if (opts.strict && opts.schema) {
      jsonStrict = unknownFields(opts.schema, value, 'sorted').map((path) => strictFieldErrorText({ kind: 'unknown', path }));
    }
  } else {
    try {
      const r = opts.strict && opts.schema
        ? decodeJson(body, { tracker: schemaTracker(), root: trackerRoot(opts.schema) })
        : decodeJson(body, { duplicates: opts.strict });
      value = r.value;
      jsonStrict = r.strictErrors.map(strictFieldErrorText);
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw unrecognizedBodyError(intoKind, `couldn't get version/kind; json parse error: ${e.message}`, body);
      if (e instanceof JsonValueError) {
        // Only a syntactically valid body gets here, so its kind can be read.
        const fallback = interpret(parseLoosely(body));
        const gvk = 'gvk' in fallback ? withDefaults(fallback.gvk, opts.into) : opts.into;
        throw cannotHandleError(gvk, intoKind, e.message);
      }
      throw e;
    }
  }
  const found = interpret(value);
  if ('error' in found) throw unrecognizedBodyError(intoKind, found.error, body);
  const gvk = withDefaults(found.gvk, opts.into);
  const object: JsonObject = isPlainObject(value) ? (value as JsonObject) : {};
  strictErrors.push(...jsonStrict);
  return { object, gvk, strictErrors };
}

/** Reads a body whose only problem is an out-of-range number (as Infinity). */
function parseLoosely(body: string | Uint8Array): JsonValue {
  try {
    const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
}
