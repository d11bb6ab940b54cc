// Failures talking to the host cluster, as one shape: the HTTP status code
// and the Kubernetes Status the host answered with, or code 0 when no answer
// came at all (connection refused or reset, TLS or credential loading failed,
// the request timed out).

import type { Status } from '../../api/errors.ts';
import { isPlainObject } from '../../api/types.ts';

export class HostError extends Error {
  /** HTTP status code; 0 when the host gave no HTTP answer. */
  readonly code: number;
  /** The Status reason (`NotFound`, `Conflict`, `Expired`, ...); '' when the host gave none. */
  readonly reason: string;
  /** The host's Status, when it sent one. */
  readonly status: Status | undefined;
  /** From the Status details or a Retry-After header. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: number, reason: string, message: string, status?: Status, retryAfterSeconds?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'HostError';
    this.code = code;
    this.reason = reason;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  get notFound(): boolean { return this.code === 404; }
  get alreadyExists(): boolean { return this.code === 409 && this.reason === 'AlreadyExists'; }
  /** A resourceVersion or uid precondition did not hold (or an update raced another). */
  get conflict(): boolean { return this.code === 409 && this.reason !== 'AlreadyExists'; }
  /** The resourceVersion asked for is older than the host keeps: list again. */
  get expired(): boolean { return this.code === 410 || this.reason === 'Expired' || this.reason === 'Gone'; }
  /** Credentials rejected or not allowed: retrying helps only once someone fixes them. */
  get credentials(): boolean { return this.code === 401 || this.code === 403; }
  /** The host could not answer now; the same request may work later. */
  get transient(): boolean {
    return this.code === 0 || this.code === 429 || this.code >= 500 || this.reason === 'Timeout' || this.reason === 'ServerTimeout';
  }
}

/** The error for a non-2xx answer, from its body (a Status, or anything else). */
export function hostErrorFromResponse(code: number, body: string, retryAfterHeader?: string): HostError {
  let status: Status | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (isPlainObject(parsed) && parsed.kind === 'Status') status = parsed as unknown as Status;
  } catch {
    // not JSON: the text is the message
  }
  return hostErrorFromStatus(code, status, body, retryAfterHeader);
}

/** The error a Status describes (an ERROR watch event carries one). */
export function hostErrorFromStatus(code: number, status: Status | undefined, fallbackMessage = '', retryAfterHeader?: string): HostError {
  const statusCode = status && typeof status.code === 'number' && status.code > 0 ? status.code : code;
  const reason = typeof status?.reason === 'string' ? status.reason : '';
  const message = typeof status?.message === 'string' && status.message !== ''
    ? status.message
    : fallbackMessage.trim().slice(0, 500) || `the host answered ${statusCode}`;
  const header = retryAfterHeader !== undefined ? Number(retryAfterHeader) : NaN;
  const retryAfter = status?.details?.retryAfterSeconds ?? (Number.isFinite(header) ? header : undefined);
  return new HostError(statusCode, reason, message, status, retryAfter);
}

/** A transport failure (no HTTP answer) as a HostError; HostErrors pass through. */
export function toHostError(e: unknown): HostError {
  if (e instanceof HostError) return e;
  const err = e as NodeJS.ErrnoException | undefined;
  const detail = err?.code ? `${err.code}: ${err.message}` : String(err?.message ?? e);
  return new HostError(0, '', `cannot reach the host: ${detail}`, undefined, undefined, e);
}
