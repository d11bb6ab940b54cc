// Reading a CRD's versions: which exist, which is stored, and each one's schema.

import type { KubeObject } from '../../api/types.ts';
import { toProps } from './props.ts';
import type { Props } from './props.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function versionsOf(crd: KubeObject): Obj[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  return Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
}

/** The openAPIV3Schema of a version, as written (raw JSON), or undefined. */
export function versionSchemaJSON(crd: KubeObject, version: string): Obj | undefined {
  const v = versionsOf(crd).find((x) => x.name === version);
  return v && isObj(v.schema) && isObj(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined;
}

/** The typed schema of a version (for validateValue, pruneUnknown, applyDefaults...). */
export function versionSchema(crd: KubeObject, version: string): Props | undefined {
  const raw = versionSchemaJSON(crd, version);
  return raw ? toProps(raw) : undefined;
}

/** The version marked `storage: true`. */
export function storageVersionOf(crd: KubeObject): string | undefined {
  const v = versionsOf(crd).find((x) => x.storage === true);
  return typeof v?.name === 'string' ? v.name : undefined;
}

/** The names of the versions marked `served: true`, in spec order. */
export function servedVersionsOf(crd: KubeObject): string[] {
  return versionsOf(crd).filter((v) => v.served === true && typeof v.name === 'string').map((v) => v.name as string);
}

/** Kubernetes' version priority: GA > beta > alpha, then higher numbers; other names last, alphabetically. Negative when a ranks first. */
export function compareVersionPriority(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return [m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1, Number(m[1]), m[3] === undefined ? 0 : Number(m[3])];
  };
  const pa = parse(a), pb = parse(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i]! - pa[i]!;
  return 0;
}

/**
 * The Warning a request to a deprecated version gets: the version's
 * deprecationWarning, or `<group>/<version> <Kind> is deprecated; use
 * <group>/<newer> <Kind>` naming the best served, non-deprecated, newer version.
 * Undefined for a version that is not deprecated.
 */
export function deprecationWarningFor(crd: KubeObject, version: string): string | undefined {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const v = versionsOf(crd).find((x) => x.name === version);
  if (!v || v.deprecated !== true) return undefined;
  if (typeof v.deprecationWarning === 'string') return v.deprecationWarning;
  const group = typeof spec.group === 'string' ? spec.group : '';
  const kind = isObj(spec.names) && typeof spec.names.kind === 'string' ? spec.names.kind : '';
  let msg = `${group}/${version} ${kind} is deprecated`;
  const newer = versionsOf(crd)
    .filter((x) => x.served === true && x.deprecated !== true && typeof x.name === 'string' && compareVersionPriority(x.name as string, version) < 0)
    .map((x) => x.name as string)
    .sort(compareVersionPriority);
  if (newer.length > 0) msg += `; use ${group}/${newer[0]} ${kind}`;
  return msg;
}
