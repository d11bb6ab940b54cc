// Errors as Kubernetes reports them: a metav1.Status with code, reason, details
// and causes. Every failure the server returns is an ApiError.

export type StatusReason =
  | 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'MethodNotAllowed'
  | 'NotAcceptable' | 'AlreadyExists' | 'Conflict' | 'Gone' | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType' | 'Invalid' | 'TooManyRequests' | 'InternalError'
  | 'ServiceUnavailable' | 'Timeout' | 'Expired';

/** The kinds of field error upstream reports, with the text each prints. */
export const fieldErrorTypes = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
  FieldValueTypeInvalid: 'Invalid value',
  InternalError: 'Internal error',
} as const;
export type FieldErrorType = keyof typeof fieldErrorTypes;

/** One problem with one field, e.g. `spec.containers[0].name: Required value`. */
export interface FieldError {
  readonly type: FieldErrorType;
  /** Path in upstream notation: `metadata.name`, `spec.containers[0].image`, `metadata.labels[app]`. */
  readonly field: string;
  /** The offending value; printed for the "value" kinds. */
  readonly value?: unknown;
  /** Extra explanation after the type text. */
  readonly detail?: string;
  /** For FieldValueNotSupported: the values that are allowed. */
  readonly supported?: readonly string[];
  /** Print no value even for the kinds that normally show one (upstream's omitValue). */
  readonly omitValue?: boolean;
}

export const fieldError = {
  required: (field: string, detail?: string): FieldError => ({ type: 'FieldValueRequired', field, detail }),
  invalid: (field: string, value: unknown, detail?: string): FieldError => ({ type: 'FieldValueInvalid', field, value, detail }),
  duplicate: (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, value }),
  notSupported: (field: string, value: unknown, supported: readonly string[]): FieldError =>
    ({ type: 'FieldValueNotSupported', field, value, supported }),
  forbidden: (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail }),
  tooLong: (field: string, value: unknown, max: number): FieldError =>
    ({ type: 'FieldValueTooLong', field, value, detail: `may not be more than ${max} bytes` }),
  tooMany: (field: string, actual: number, max: number): FieldError =>
    ({ type: 'FieldValueTooMany', field, value: actual, detail: `must have at most ${max} items` }),
  notFound: (field: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field, value }),
};

/** Render a value the way Go's %#v does for the common cases. */
function quoteValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The text of one field error, as upstream's field.Error.Error() prints it. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

export function fieldErrorBody(e: FieldError): string {
  let s: string = fieldErrorTypes[e.type];
  switch (e.type) {
    case 'FieldValueRequired': case 'FieldValueForbidden': case 'FieldValueTooLong': case 'InternalError':
      break;
    default:
      // Too many prints the actual count; a negative count means "unknown" and is left out.
      if (!e.omitValue && !(e.type === 'FieldValueTooMany' && (typeof e.value !== 'number' || e.value < 0))) {
        s += `: ${quoteValue(e.value)}`;
      }
  }
  if (e.type === 'FieldValueNotSupported' && e.supported && e.supported.length > 0) {
    return `${s}: supported values: ${e.supported.map((x) => JSON.stringify(x)).join(', ')}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

/** A failure to report to the client as a Status. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;
  /** Extra response headers (Retry-After, ...). */
  readonly headers: Record<string, string>;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.headers = headers;
  }
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, code: this.code };
    if (this.reason) s.reason = this.reason;
    if (this.details) s.details = wireDetails(this.details);
    return s;
  }
}

/** Details as upstream encodes them: empty name, group, kind and uid are left out (omitempty), as are empty causes. */
function wireDetails(d: StatusDetails): StatusDetails {
  const out: StatusDetails = {};
  if (d.name) out.name = d.name;
  if (d.group) out.group = d.group;
  if (d.kind) out.kind = d.kind;
  if (d.uid) out.uid = d.uid;
  if (d.causes && d.causes.length > 0) out.causes = d.causes;
  if (d.retryAfterSeconds) out.retryAfterSeconds = d.retryAfterSeconds;
  return out;
}

/** A group/resource pair as upstream prints it in messages: `deployments.apps`, `pods`. */
export interface GroupResource { group: string; resource: string }
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export const errors = {
  badRequest: (message: string, causes?: StatusCause[]) =>
    new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined),
  unauthorized: (message = 'Unauthorized') => new ApiError(401, 'Unauthorized', message),
  forbidden: (gr: GroupResource, name: string, message: string) =>
    new ApiError(403, 'Forbidden', `${qualifiedResource(gr)}${name ? ` "${name}"` : ''} is forbidden: ${message}`,
      { name: name || undefined, group: gr.group, kind: gr.resource }),
  notFound: (gr: GroupResource, name: string) =>
    new ApiError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource }),
  /** A URL that names no resource at all. */
  pathNotFound: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {}),
  methodNotAllowed: (method: string, what: string) =>
    new ApiError(405, 'MethodNotAllowed', `${method} is not supported on ${what}`, {}),
  notAcceptable: (accepted: string[]) =>
    new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`),
  alreadyExists: (gr: GroupResource, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource }),
  conflict: (gr: GroupResource, name: string, why: string) =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
      { name, group: gr.group, kind: gr.resource }),
  gone: (message: string) => new ApiError(410, 'Expired', message),
  tooLarge: (message = 'Request entity too large: limit is 3145728') => new ApiError(413, 'RequestEntityTooLarge', message),
  unsupportedMediaType: (contentType: string, supported: string[]) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`,
      contentType ? undefined : undefined),
  /** 422 with field causes, worded as upstream: `Pod "x" is invalid: spec.containers: Required value`. */
  invalid: (groupKind: { group: string; kind: string }, name: string, errs: readonly FieldError[]) => {
    const what = groupKind.group ? `${groupKind.kind}.${groupKind.group}` : groupKind.kind;
    const list = errs.map(formatFieldError);
    const agg = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${what} "${name}" is invalid: ${agg}`, {
      name: name || undefined, group: groupKind.group || undefined, kind: groupKind.kind || undefined,
      causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
    });
  },
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) }),
  serviceUnavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
};
