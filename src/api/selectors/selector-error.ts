// The error a malformed label or field selector raises: a 400 BadRequest
// whose message is the parser's text, as kube-apiserver returns it.
import { ApiError } from '../errors.ts';
import type { FieldError } from '../errors.ts';

export class SelectorError extends ApiError {
  /** For selectors built from API objects: the field problems behind the message, if any. */
  readonly fieldErrors: readonly FieldError[];
  constructor(message: string, fieldErrors: readonly FieldError[] = []) {
    super(400, 'BadRequest', message);
    this.name = 'SelectorError';
    this.fieldErrors = fieldErrors;
  }
}
