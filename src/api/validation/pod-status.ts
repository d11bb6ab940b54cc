// What a write to pods/status is checked for. The status subresource changes
// nothing but status (the store keeps the stored spec and metadata), so the
// spec, valid when it was stored, is not validated again on every status write:
// as upstream, only the new status is looked at.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { isObj, objsAt } from './json.ts';
import { parseIPSloppy, validateIP } from './ip.ts';
import { isDNS1123Subdomain, isQualifiedName } from './names.ts';

/** Condition types the API defines; any other must be a qualified name. */
const standardConditions = new Set([
  'PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers',
  'DisruptionTarget', 'PodResizePending', 'PodResizeInProgress',
]);

export function validatePodStatus(status: unknown, path = 'status'): FieldError[] {
  if (!isObj(status)) return [];
  const errs: FieldError[] = [];
  objsAt(status.conditions).forEach((c, i) => {
    const type = typeof c.type === 'string' ? c.type : '';
    if (type === '') errs.push(fieldError.required(child(index(child(path, 'conditions'), i), 'type')));
    else if (!standardConditions.has(type)) {
      for (const msg of isQualifiedName(type)) errs.push(fieldError.invalid(child(index(child(path, 'conditions'), i), 'type'), type, msg));
    }
  });
  if (typeof status.nominatedNodeName === 'string' && status.nominatedNodeName !== '') {
    for (const msg of isDNS1123Subdomain(status.nominatedNodeName)) errs.push(fieldError.invalid(child(path, 'nominatedNodeName'), status.nominatedNodeName, msg));
  }
  errs.push(...validateIPList(status, path, 'podIP', 'podIPs'));
  errs.push(...validateIPList(status, path, 'hostIP', 'hostIPs'));
  return errs;
}

/**
 * A single address and its list (podIP/podIPs, hostIP/hostIPs): each a valid IP, no
 * duplicates, at most one per family, and the list's first entry is the single one.
 */
function validateIPList(status: Record<string, unknown>, path: string, single: string, plural: string): FieldError[] {
  const errs: FieldError[] = [];
  const one = typeof status[single] === 'string' ? status[single] as string : '';
  const list = objsAt(status[plural]);
  if (list.length === 0) {
    if (one !== '') errs.push(...validateIP(child(path, single), one));
    return errs;
  }
  const seen = new Set<string>();
  const families = new Set<number>();
  list.forEach((e, i) => {
    const p = child(index(child(path, plural), i), 'ip');
    const ip = typeof e.ip === 'string' ? e.ip : '';
    const bad = validateIP(p, ip);
    if (bad.length > 0) { errs.push(...bad); return; }
    if (seen.has(ip)) errs.push(fieldError.duplicate(p, ip));
    seen.add(ip);
    const family = parseIPSloppy(ip)?.family ?? 0;
    if (families.has(family)) errs.push(fieldError.invalid(child(path, plural), list.map((x) => x.ip), 'may specify no more than one IP for each IP family'));
    families.add(family);
  });
  if (one !== '' && list[0]!.ip !== one) {
    errs.push(fieldError.invalid(child(index(child(path, plural), 0), 'ip'), list[0]!.ip, `must match ${path}.${single}`));
  }
  return errs;
}
