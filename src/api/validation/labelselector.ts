// metav1.LabelSelector: validation (as unversioned validation does it) and matching.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { getArray, getString, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { isValidLabelValue } from './names.ts';
import { validateLabelName, validateLabels } from './objectmeta.ts';

export interface LabelSelectorOptions {
  /** Accept values that are not valid label values (kept for objects stored before the rule). */
  allowInvalidLabelValue?: boolean;
}

const operators = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Validate a label selector at `path`; absent selectors are valid. */
export function validateLabelSelector(sel: unknown, path: string, opts: LabelSelectorOptions = {}): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (!isObj(sel)) return [typeInvalid(path, sel, 'object')];
  const errs = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  const exprs = getArray(sel, 'matchExpressions', path, errs) ?? [];
  exprs.forEach((expr, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    if (!isObj(expr)) {
      errs.push(typeInvalid(p, expr, 'object'));
      return;
    }
    errs.push(...validateLabelSelectorRequirement(expr, p, opts));
  });
  return errs;
}

function validateLabelSelectorRequirement(req: Obj, path: string, opts: LabelSelectorOptions): FieldError[] {
  const errs: FieldError[] = [];
  const op = getString(req, 'operator', path, errs) ?? '';
  const key = getString(req, 'key', path, errs) ?? '';
  const values = getArray(req, 'values', path, errs) ?? [];
  switch (op) {
    case 'In': case 'NotIn':
      if (values.length === 0) errs.push(fieldError.required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length > 0) errs.push(fieldError.forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(fieldError.invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(key, child(path, 'key')));
  values.forEach((v, i) => {
    const vp = index(child(path, 'values'), i);
    if (typeof v !== 'string') {
      errs.push(typeInvalid(vp, v, 'string'));
      return;
    }
    if (!opts.allowInvalidLabelValue) for (const msg of isValidLabelValue(v)) errs.push(fieldError.invalid(vp, v, msg));
  });
  return errs;
}

/** True when the selector has neither matchLabels nor matchExpressions. */
export function selectorIsEmpty(sel: unknown): boolean {
  if (!isObj(sel)) return false;
  const ml = isObj(sel.matchLabels) ? Object.keys(sel.matchLabels).length : 0;
  const me = Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0;
  return ml + me === 0;
}

/**
 * Whether a selector matches a set of labels, as LabelSelectorAsSelector(sel).Matches
 * does: an absent selector matches nothing, an empty one everything, and a
 * malformed one (bad operator) nothing.
 */
export function selectorMatches(sel: unknown, labels: unknown): boolean {
  if (!isObj(sel)) return false;
  const have: Record<string, string> = {};
  if (isObj(labels)) for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') have[k] = v;
  if (isObj(sel.matchLabels)) {
    for (const [k, v] of Object.entries(sel.matchLabels)) {
      if (have[k] !== v) return false;
    }
  }
  if (Array.isArray(sel.matchExpressions)) {
    for (const e of sel.matchExpressions) {
      if (!isObj(e) || typeof e.key !== 'string') return false;
      const vals = Array.isArray(e.values) ? e.values.filter((x): x is string => typeof x === 'string') : [];
      const present = Object.hasOwn(have, e.key);
      switch (e.operator) {
        case 'In': if (!present || !vals.includes(have[e.key] as string)) return false; break;
        case 'NotIn': if (present && vals.includes(have[e.key] as string)) return false; break;
        case 'Exists': if (!present) return false; break;
        case 'DoesNotExist': if (present) return false; break;
        default: return false;
      }
    }
  }
  return true;
}

/** Whether a selector converts cleanly (LabelSelectorAsSelector returns no error). */
export function selectorConvertible(sel: unknown): boolean {
  if (sel === undefined || sel === null) return true;
  if (!isObj(sel)) return false;
  if (!Array.isArray(sel.matchExpressions)) return sel.matchExpressions === undefined || sel.matchExpressions === null;
  for (const e of sel.matchExpressions) {
    if (!isObj(e) || !operators.has(e.operator as string)) return false;
    const n = Array.isArray(e.values) ? e.values.length : 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) return false;
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) return false;
  }
  return true;
}

/** Whether a plain map selector (services, RCs) matches labels; an empty map matches nothing here. */
export function mapSelectorMatches(sel: Record<string, string>, labels: unknown): boolean {
  const keys = Object.keys(sel);
  if (keys.length === 0) return false;
  const l = isObj(labels) ? labels : {};
  return keys.every((k) => l[k] === sel[k]);
}
