// The error every patch kind raises, carrying the HTTP status kube-apiserver uses:
//   400 BadRequest  - the patch document itself is malformed (undecodable JSON patch,
//                     a merge patch that is not an object, a bad SMP directive);
//   413             - a JSON patch with more than 10000 operations;
//   422 Invalid     - the patch is well-formed but cannot be applied (missing path,
//                     failed `test`, lists of lists). kube-apiserver hides the cause
//                     behind a generic message; `detail` keeps the library's wording;
//   500 (no reason) - other strategic merge patch failures, which upstream passes on
//                     unconverted ("map: ... does not contain declared merge key: name").
import { ApiError } from '../errors.ts';
import type { StatusReason, StatusDetails } from '../errors.ts';

export class PatchError extends ApiError {
  /** What went wrong, in the patch library's words (for logs and tests). */
  readonly detail: string;
  constructor(code: number, reason: StatusReason, message: string, detail: string = message, details?: StatusDetails) {
    super(code, reason, message, details);
    this.name = 'PatchError';
    this.detail = detail;
  }

  /** 400 with the message shown to the client. */
  static badRequest(message: string): PatchError {
    return new PatchError(400, 'BadRequest', message);
  }

  /** 422 as upstream's NewGenericServerResponse(422, ...) prints it: the cause is not shown. */
  static cannotApply(detail: string): PatchError {
    return new PatchError(422, 'Invalid', 'the server rejected our request due to an error in our request', detail, {});
  }

  static tooLarge(message: string): PatchError {
    return new PatchError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
  }
}
