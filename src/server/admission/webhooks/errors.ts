// What a client is told when a webhook refuses a write or cannot be called,
// in upstream's words (admission/plugin/webhook/errors, util/webhook):
//
// - A denial keeps the webhook's own status (code, reason, details) with the
//   message `admission webhook "NAME" denied the request: MESSAGE` (the
//   status's reason when it has no message; `... denied the request without
//   explanation` when it has neither); a code below 400 becomes 400.
// - A webhook that cannot be called (unreachable, timed out, a bad answer)
//   under failurePolicy Fail: 500 InternalError `Internal error occurred:
//   failed calling webhook "NAME": REASON`; under Ignore the write goes on.
// - A dry run to a webhook with side effects: 400 `admission webhook "NAME"
//   does not support dry run`, whatever the failure policy.

import { ApiError, errors, type StatusDetails, type StatusReason } from '../../../api/errors.ts';

/** A webhook could not be called, or answered nonsense: the failure policy decides. */
export class CallingError extends Error {
  readonly webhook: string;
  constructor(webhook: string, reason: string) {
    super(`failed calling webhook ${JSON.stringify(webhook)}: ${reason}`);
    this.name = 'CallingError';
    this.webhook = webhook;
  }
}

/** The error a failed call is under failurePolicy Fail. */
export function callingFailure(e: CallingError): ApiError {
  return errors.internal(e.message);
}

type Obj = Record<string, unknown>;

/** The webhook's denial as the client's Status (upstream's ToStatusErr). */
export function denied(webhook: string, status: Obj | undefined): ApiError {
  const by = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const s = status ?? {};
  const code = typeof s.code === 'number' && Number.isInteger(s.code) && s.code >= 400 ? s.code : 400;
  const reason = typeof s.reason === 'string' ? s.reason : '';
  const message = typeof s.message === 'string' ? s.message : '';
  const text = message !== '' ? `${by}: ${message}` : reason !== '' ? `${by}: ${reason}` : `${by} without explanation`;
  const details = typeof s.details === 'object' && s.details !== null && !Array.isArray(s.details) ? s.details as StatusDetails : undefined;
  const retry = details?.retryAfterSeconds;
  const headers: Record<string, string> = typeof retry === 'number' && retry > 0 ? { 'Retry-After': String(retry) } : {};
  return new ApiError(code, reason as StatusReason, text, details, headers);
}

export function dryRunUnsupported(webhook: string): ApiError {
  return errors.badRequest(`admission webhook ${JSON.stringify(webhook)} does not support dry run`);
}

/** A mutating webhook patched the object of a request that has none (a delete). */
export function cannotModify(webhook: string): ApiError {
  return errors.internal(`admission webhook ${JSON.stringify(webhook)} attempted to modify the object, which is not supported for this operation`);
}
