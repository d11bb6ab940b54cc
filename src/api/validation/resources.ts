// Resource names (cpu, memory, hugepages-2Mi, example.com/gpu, quota names) and
// resource lists/requirements: names, quantities, requests against limits.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index, key } from './fieldpath.ts';
import { getArray, getString, isObj, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { isDNS1123Label, isQualifiedName } from './names.ts';
import { isNegativeErrorMsg } from './objectmeta.ts';
import { cmpQuantity, milliValue, parseQuantity, quantityString } from './quantity.ts';
import type { Quantity } from './quantity.ts';

const hugePagesPrefix = 'hugepages-';
const defaultNamespacePrefix = 'kubernetes.io/';
const requestsPrefix = 'requests.';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers',
]);

const standardResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'requests.storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage',
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers',
]);

const integerResources = new Set([
  'pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers',
]);

export function isHugePageResourceName(name: string): boolean {
  return name.startsWith(hugePagesPrefix) || name.startsWith(`${requestsPrefix}${hugePagesPrefix}`) || name.startsWith(`limits.${hugePagesPrefix}`);
}

/** Unprefixed names and *.kubernetes.io names belong to Kubernetes. */
export function isNativeResource(name: string): boolean {
  const parts = name.split('/');
  return parts.length === 1 || name.includes(defaultNamespacePrefix);
}

/** Extended resources: "domain/name", not native, with "requests.<name>" a valid qualified name. */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith(requestsPrefix)) return false;
  return isQualifiedName(`${requestsPrefix}${name}`).length === 0;
}

export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResourceName(name);
}

function isStandardResourceName(name: string): boolean {
  return standardResources.has(name) || isHugePageResourceName(name);
}

function isStandardContainerResourceName(name: string): boolean {
  return standardContainerResources.has(name) || name.startsWith(hugePagesPrefix);
}

function isStandardQuotaResourceName(name: string): boolean {
  return standardQuotaResources.has(name) || name.startsWith(`${requestsPrefix}${hugePagesPrefix}`);
}

function isIntegerResourceName(name: string): boolean {
  return integerResources.has(name) || isExtendedResourceName(name);
}

/** The qualified-name check and, for unprefixed names, membership of the standard set. */
export function validateResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((msg) => fieldError.invalid(path, name, msg));
  if (errs.length > 0) return errs;
  if (name.split('/').length === 1 && !isStandardResourceName(name)) {
    return [fieldError.invalid(path, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

export function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (name.split('/').length === 1) {
    if (!isStandardContainerResourceName(name)) return [...errs, fieldError.invalid(path, name, 'must be a standard resource for containers')];
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    return [...errs, fieldError.invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return errs;
}

export function validateQuotaResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (name.split('/').length === 1 && !isStandardQuotaResourceName(name)) {
    return [...errs, fieldError.invalid(path, name, 'must be a standard resource for quota')];
  }
  return errs;
}

const podLevelResources = ['cpu', 'memory'];

export function validatePodResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path);
  if (errs.length > 0) return errs;
  if (!podLevelResources.includes(name) && !name.startsWith(hugePagesPrefix)) {
    return [fieldError.notSupported(path, name, ['cpu', 'memory'])];
  }
  return [];
}

/** Parse a quantity field; malformed values are reported (upstream refuses them while decoding). */
export function parseQuantityAt(v: unknown, path: string, errs: FieldError[]): Quantity | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') {
    errs.push(typeInvalid(path, v, 'string'));
    return undefined;
  }
  const q = parseQuantity(v);
  if (typeof q === 'string') {
    errs.push(fieldError.invalid(path, v, q));
    return undefined;
  }
  return q;
}

/** A quantity may not be negative, and integer resources must be whole. */
export function validateResourceQuantityValue(name: string, q: Quantity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.mantissa < 0n) errs.push(fieldError.invalid(path, quantityString(q), isNegativeErrorMsg));
  if (isIntegerResourceName(name) && milliValue(q) % 1000n !== 0n) {
    errs.push(fieldError.invalid(path, quantityString(q), 'must be an integer'));
  }
  return errs;
}

export function validatePositiveQuantity(q: Quantity, path: string): FieldError[] {
  if (q.mantissa <= 0n) return [fieldError.invalid(path, quantityString(q), 'must be greater than zero')];
  return [];
}

/** A resource list (name -> quantity) at `path`, parsed; bad entries are reported. */
export function readResourceList(list: unknown, path: string, errs: FieldError[]): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (list === undefined || list === null) return out;
  if (!isObj(list)) {
    errs.push(typeInvalid(path, list, 'object'));
    return out;
  }
  for (const [name, v] of Object.entries(list)) {
    const q = parseQuantityAt(v, key(path, name), errs);
    if (q) out.set(name, q);
  }
  return out;
}

function hugePageSize(name: string): Quantity | undefined {
  const i = name.indexOf(hugePagesPrefix);
  const q = parseQuantity(name.slice(i + hugePagesPrefix.length));
  return typeof q === 'string' ? undefined : q;
}

/** Requirements of a container (or of the pod): names, quantities, requests within limits, claims. */
export function validateResourceRequirements(req: unknown, path: string, podClaimNames: Set<string>,
  nameFn: (name: string, path: string) => FieldError[] = validateContainerResourceName): FieldError[] {
  const errs: FieldError[] = [];
  if (req === undefined || req === null) return errs;
  if (!isObj(req)) return [typeInvalid(path, req, 'object')];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = readResourceList(req.limits, limPath, errs);
  const requests = readResourceList(req.requests, reqPath, errs);
  let cpuOrMemory = false, hugePages = false;

  const checkHugePage = (name: string, q: Quantity, p: string): void => {
    if (!isHugePageResourceName(name)) return;
    hugePages = true;
    const size = hugePageSize(name);
    if (size && size.mantissa > 0n) {
      const a = milliValue(q), b = milliValue(size);
      if (b === 0n || a % b !== 0n) errs.push(fieldError.invalid(p, quantityString(q), `${quantityString(q)} is not positive integer multiple of ${name}`));
    }
  };

  for (const [name, q] of limits) {
    const p = key(limPath, name);
    errs.push(...nameFn(name, p));
    errs.push(...validateResourceQuantityValue(name, q, p));
    checkHugePage(name, q, p);
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  for (const [name, q] of requests) {
    const p = key(reqPath, name);
    errs.push(...nameFn(name, p));
    errs.push(...validateResourceQuantityValue(name, q, p));
    const lim = limits.get(name);
    if (lim !== undefined) {
      if (cmpQuantity(q, lim) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(fieldError.invalid(reqPath, quantityString(q), `must be equal to ${name} limit of ${quantityString(lim)}`));
      } else if (cmpQuantity(q, lim) > 0) {
        errs.push(fieldError.invalid(reqPath, quantityString(q), `must be less than or equal to ${name} limit of ${quantityString(lim)}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(fieldError.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    checkHugePage(name, q, p);
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  if (!cpuOrMemory && hugePages) errs.push(fieldError.forbidden(path, 'HugePages require cpu or memory'));
  errs.push(...validateResourceClaimRefs(getArray(req, 'claims', path, errs), child(path, 'claims'), podClaimNames));
  return errs;
}

function validateResourceClaimRefs(claims: unknown[] | undefined, path: string, podClaimNames: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (claims ?? []).forEach((c, i) => {
    const p = index(path, i);
    if (!isObj(c)) {
      errs.push(typeInvalid(p, c, 'object'));
      return;
    }
    const name = getString(c, 'name', p, errs) ?? '';
    const request = getString(c, 'request', p, errs) ?? '';
    if (name === '') {
      errs.push(fieldError.required(p));
      return;
    }
    if (request !== '') for (const msg of isDNS1123Label(request)) errs.push(fieldError.invalid(child(p, 'request'), request, msg));
    const k = request === '' ? name : `${name}/${request}`;
    if (seen.has(name) || seen.has(k)) errs.push(fieldError.duplicate(p, seen.has(name) ? name : k));
    seen.add(k);
    if (!podClaimNames.has(name)) {
      const names = [...podClaimNames].sort();
      errs.push({ ...fieldError.notFound(p, name),
        detail: `must be one of the names in pod.spec.resourceClaims${names.length === 0 ? ' which is empty' : `: ${names.join(', ')}`}` });
    }
  });
  return errs;
}

/** Every quantity of a list: valid name for `nameFn`, valid non-negative value. */
export function validateResourceList(list: unknown, path: string, nameFn: (name: string, path: string) => FieldError[]): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of readResourceList(list, path, errs)) {
    const p = key(path, name);
    errs.push(...nameFn(name, p));
    errs.push(...validateResourceQuantityValue(name, q, p));
  }
  return errs;
}

/** The quantities in requests/limits of an object's resources field, as a parsed pair. */
export function readRequirements(res: Obj | undefined): { requests: Map<string, Quantity>; limits: Map<string, Quantity> } {
  const sink: FieldError[] = [];
  return {
    requests: readResourceList(res?.requests, 'requests', sink),
    limits: readResourceList(res?.limits, 'limits', sink),
  };
}

