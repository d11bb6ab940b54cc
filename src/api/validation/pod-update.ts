// What may change in a pod's spec after creation (ValidatePodUpdate): container
// images, activeDeadlineSeconds (only down), tolerations (only additions),
// scheduling gates (only removals); anything else is refused with upstream's
// "pod updates may not change fields other than ..." message and a diff.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { deepClone, isObj, isZero, semanticEqual } from './json.ts';
import type { Obj } from './json.ts';
import { inclusiveRangeError } from './names.ts';
import { validateTolerations } from './pod-scheduling.ts';

export const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function validateContainerUpdates(newList: unknown[], oldList: unknown[], path: string, errs: FieldError[]): boolean {
  if (newList.length !== oldList.length) {
    errs.push(fieldError.forbidden(path, 'pod updates may not add or remove containers'));
    return true;
  }
  newList.forEach((c, i) => {
    const image = isObj(c) && typeof c.image === 'string' ? c.image : '';
    if (image.length === 0) errs.push(fieldError.required(child(index(path, i), 'image')));
    if (image.trim().length !== image.length) {
      errs.push(fieldError.invalid(child(index(path, i), 'image'), image, 'must not have leading or trailing whitespace'));
    }
  });
  return false;
}

function tolerationEqualIgnoringSeconds(a: unknown, b: unknown): boolean {
  if (!isObj(a) || !isObj(b)) return semanticEqual(a, b);
  const { tolerationSeconds: _x, ...ra } = a;
  const { tolerationSeconds: _y, ...rb } = b;
  return semanticEqual(ra, rb);
}

/** Render the differences between two JSON values, one line per changed leaf, prefixed - and +. */
export function jsonDiff(oldV: unknown, newV: unknown, path: string, out: string[] = []): string[] {
  if (semanticEqual(oldV, newV)) return out;
  if (isObj(oldV) && isObj(newV)) {
    for (const k of [...new Set([...Object.keys(oldV), ...Object.keys(newV)])].sort()) {
      jsonDiff(oldV[k], newV[k], child(path, k), out);
    }
    return out;
  }
  if (Array.isArray(oldV) && Array.isArray(newV) && oldV.length === newV.length) {
    oldV.forEach((o, i) => jsonDiff(o, newV[i], index(path, i), out));
    return out;
  }
  if (!isZero(oldV)) out.push(`- ${path}: ${JSON.stringify(oldV)}`);
  if (!isZero(newV)) out.push(`+ ${path}: ${JSON.stringify(newV)}`);
  return out;
}

function validateNodeSelectorAdditionsOnly(newSel: unknown, oldSel: unknown, path: string, errs: FieldError[]): void {
  const o = isObj(oldSel) ? oldSel : {};
  const n = isObj(newSel) ? newSel : {};
  for (const [k, v] of Object.entries(o)) {
    if (n[k] !== v) {
      errs.push(fieldError.invalid(path, newSel ?? null, 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
      return;
    }
  }
}

/** The update rules for a pod's spec (metadata is checked separately). */
export function validatePodSpecUpdate(newSpecRaw: unknown, oldSpecRaw: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const newSpec = isObj(newSpecRaw) ? newSpecRaw : {};
  const oldSpec = isObj(oldSpecRaw) ? oldSpecRaw : {};
  const specPath = 'spec';
  if (validateContainerUpdates(list(newSpec.containers), list(oldSpec.containers), child(specPath, 'containers'), errs)) return errs;
  if (validateContainerUpdates(list(newSpec.initContainers), list(oldSpec.initContainers), child(specPath, 'initContainers'), errs)) return errs;

  const ads = newSpec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (ads < 0 || ads > 2147483647) {
      errs.push(fieldError.invalid(child(specPath, 'activeDeadlineSeconds'), ads, inclusiveRangeError(0, 2147483647)));
      return errs;
    }
    if (typeof oldAds === 'number' && oldAds < ads) {
      errs.push(fieldError.invalid(child(specPath, 'activeDeadlineSeconds'), ads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof oldAds === 'number') {
    errs.push(fieldError.invalid(child(specPath, 'activeDeadlineSeconds'), null, 'must not update from a positive integer to nil value'));
  }

  // Tolerations: existing ones may only change their tolerationSeconds.
  const newTols = list(newSpec.tolerations);
  for (const old of list(oldSpec.tolerations)) {
    if (!newTols.some((t) => tolerationEqualIgnoringSeconds(old, t))) {
      errs.push(fieldError.forbidden(child(specPath, 'tolerations'), 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }
  if (!errs.some((e) => e.field === 'spec.tolerations')) errs.push(...validateTolerations(newSpec.tolerations, child(specPath, 'tolerations')));

  // Scheduling gates: only removals.
  const oldGates = new Set(list(oldSpec.schedulingGates).map((g) => (isObj(g) ? g.name : undefined)));
  const newGates = list(newSpec.schedulingGates);
  if (newGates.length > 0) {
    newGates.forEach((g, i) => {
      const name = isObj(g) ? g.name : undefined;
      if (!oldGates.has(name)) {
        errs.push(fieldError.forbidden(child(index(child(specPath, 'schedulingGates'), i), 'name'),
          `only deletion is allowed, but found new scheduling gate '${String(name)}'`));
      }
    });
  }

  if (semanticEqual(newSpec, oldSpec)) return errs;

  // Take the updatable fields from the old spec, then anything left is a forbidden change.
  const munged = deepClone(newSpec) as Obj;
  for (const k of ['containers', 'initContainers']) {
    const oldC = list(oldSpec[k]);
    list(munged[k]).forEach((c, i) => {
      const o = oldC[i];
      if (isObj(c)) {
        if (isObj(o) && o.image !== undefined) c.image = o.image;
        else delete c.image;
      }
    });
  }
  if (oldAds === undefined) delete munged.activeDeadlineSeconds; else munged.activeDeadlineSeconds = oldAds;
  if (oldSpec.schedulingGates === undefined) delete munged.schedulingGates; else munged.schedulingGates = oldSpec.schedulingGates;
  if (oldSpec.tolerations === undefined) delete munged.tolerations; else munged.tolerations = oldSpec.tolerations;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 &&
    munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  // A pod still held by scheduling gates may gain node selector entries and node affinity.
  if (list(oldSpec.schedulingGates).length > 0) {
    if (!semanticEqual(munged.nodeSelector, oldSpec.nodeSelector)) {
      validateNodeSelectorAdditionsOnly(munged.nodeSelector, oldSpec.nodeSelector, child(specPath, 'nodeSelector'), errs);
      if (oldSpec.nodeSelector === undefined) delete munged.nodeSelector; else munged.nodeSelector = oldSpec.nodeSelector;
    }
    const oldAff = isObj(oldSpec.affinity) ? oldSpec.affinity : undefined;
    const newAff = isObj(munged.affinity) ? munged.affinity : undefined;
    if (!semanticEqual(oldAff?.nodeAffinity, newAff?.nodeAffinity)) {
      if (newAff) {
        if (oldAff?.nodeAffinity === undefined) delete newAff.nodeAffinity; else newAff.nodeAffinity = oldAff.nodeAffinity;
      } else if (oldAff) {
        munged.affinity = { nodeAffinity: oldAff.nodeAffinity };
      }
    }
  }
  if (!semanticEqual(munged, oldSpec)) {
    const diff = jsonDiff(oldSpec, munged, specPath).join('\n');
    errs.push(fieldError.forbidden(specPath, `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${diff}`));
  }
  return errs;
}
