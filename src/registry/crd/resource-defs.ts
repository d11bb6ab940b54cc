// What a CustomResourceDefinition makes the server serve: one ResourceDef per
// served version (names, scope, verbs, subresources, shared storage and the
// None conversion between versions, strategy, printer, field selectors,
// schema), and the naming rules that decide whether a CRD's names are
// accepted (upstream's NamesAccepted condition).

import { JSONPath } from '../../api/jsonpath/index.ts';
import { goValue } from '../../api/jsonpath/values.ts';
import type { SchemaNode } from '../../api/schema/types.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Conversion } from '../conversions/index.ts';
import type { FieldGetter, ResourceDef, ResourceInfo, SubresourceInfo, Verb } from '../types.ts';
import { coerceAndDefault, customResourceStrategy } from './cr-strategy.ts';
import { namesOf } from './crd-validation.ts';
import type { Names } from './crd-validation.ts';
import { printerColumnsFor, tableForColumns } from './printer.ts';
import { toProps } from './props.ts';
import type { Props } from './props.ts';
import { schemaNodeFor } from './schema.ts';
import type { ScalePaths } from './validate.ts';
import { deepCopy } from '../../api/json-copy.ts';

const allVerbs: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const subresourceVerbs: Verb[] = ['get', 'patch', 'update'];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface VersionSpec {
  name: string;
  served: boolean;
  storage: boolean;
  schema: Obj | undefined;
  status: boolean;
  scale?: ScalePaths;
  selectableFields: string[];
}

function versionsOf(spec: Obj): VersionSpec[] {
  const raw = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  return raw.map((v) => {
    const sub = isObj(v.subresources) ? v.subresources : {};
    const out: VersionSpec = {
      name: typeof v.name === 'string' ? v.name : '',
      served: v.served === true,
      storage: v.storage === true,
      schema: isObj(v.schema) && isObj(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined,
      status: isObj(sub.status),
      selectableFields: Array.isArray(v.selectableFields)
        ? v.selectableFields.filter(isObj).map((f) => (typeof f.jsonPath === 'string' ? f.jsonPath : '')).filter((p) => p !== '')
        : [],
    };
    if (isObj(sub.scale)) {
      const s = sub.scale;
      const scale: ScalePaths = {
        specReplicasPath: typeof s.specReplicasPath === 'string' ? s.specReplicasPath : '',
        statusReplicasPath: typeof s.statusReplicasPath === 'string' ? s.statusReplicasPath : '',
      };
      if (typeof s.labelSelectorPath === 'string' && s.labelSelectorPath !== '') scale.labelSelectorPath = s.labelSelectorPath;
      out.scale = scale;
    }
    return out;
  });
}

/**
 * Converting between versions with `conversion.strategy: None`: only apiVersion
 * changes; the object is then pruned and defaulted with the target version's
 * schema, as upstream coerces converted objects.
 */
export function noneConversion(group: string, storageVersion: string, schemas: ReadonlyMap<string, Props | undefined>): Conversion {
  return {
    storageVersion: `${group}/${storageVersion}`,
    convert(obj, apiVersion) {
      if (obj.apiVersion === apiVersion) return obj;
      const out = deepCopy(obj) as KubeObject;
      out.apiVersion = apiVersion;
      const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
      coerceAndDefault(out, schemas.get(version));
      return out;
    },
  };
}

/** fmt.Sprint of a selectable field's value ('' when absent or null). */
function selectableGetter(jsonPath: string): FieldGetter {
  let path: JSONPath | undefined;
  try {
    path = new JSONPath('selectableField').allowMissingKeys(true).parse(`{${jsonPath}}`);
  } catch {
    path = undefined;
  }
  return (obj) => {
    if (!path) return '';
    try {
      const r = path.findResults(obj);
      if (r.length === 0 || r[0]!.length === 0) return '';
      const v = r[0]![0];
      return v === null || v === undefined ? '' : goValue(v);
    } catch {
      return '';
    }
  };
}

/**
 * The resources a CRD serves: one per served version, named by spec.names (the
 * names being accepted). Every version shares the storage of the group and
 * plural, in the version marked `storage: true`.
 */
export function resourceDefsForCRD(crd: KubeObject): ResourceDef[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const group = typeof spec.group === 'string' ? spec.group : '';
  const names = namesOf(spec.names);
  const scope = spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced';
  const versions = versionsOf(spec);
  const storageVersion = versions.find((v) => v.storage)?.name ?? versions[0]?.name ?? '';
  const schemas = new Map<string, Props | undefined>(versions.map((v) => [v.name, v.schema ? toProps(v.schema) : undefined]));
  const conversion = noneConversion(group, storageVersion, schemas);
  const crdName = typeof crd.metadata?.name === 'string' ? crd.metadata.name : `${names.plural}.${group}`;
  const singular = names.singular || names.kind.toLowerCase();
  const listKind = names.listKind || `${names.kind}List`;

  return versions.filter((v) => v.served).map((v): ResourceDef => {
    const props = schemas.get(v.name);
    const subresources: SubresourceInfo[] = [];
    if (v.scale) subresources.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: [...subresourceVerbs] });
    if (v.status) subresources.push({ name: 'status', kind: names.kind, verbs: [...subresourceVerbs] });
    const fieldSelectors: Record<string, FieldGetter> = { 'metadata.name': (o) => o.metadata?.name ?? '' };
    if (scope === 'Namespaced') fieldSelectors['metadata.namespace'] = (o) => o.metadata?.namespace ?? '';
    for (const p of v.selectableFields) fieldSelectors[p.replace(/^\./, '')] = selectableGetter(p);
    let schemaNode: SchemaNode | undefined;
    const def: ResourceDef = {
      group,
      version: v.name,
      kind: names.kind,
      listKind,
      plural: names.plural,
      singular,
      scope,
      verbs: [...allVerbs],
      storage: { group, resource: names.plural },
      strategy: customResourceStrategy({
        group, version: v.name, kind: names.kind, namespaced: scope === 'Namespaced', schema: props,
        statusSubresource: v.status, ...(v.scale ? { scale: v.scale } : {}),
      }),
      table: tableForColumns(printerColumnsFor(crd, v.name)),
      fieldSelectors,
      schema: () => (schemaNode ??= schemaNodeFor(v.schema, { group, version: v.name, kind: names.kind })),
      custom: {
        crdName,
        ...(v.scale ? { scale: v.scale } : {}),
        onRead: (obj) => {
          const copy = deepCopy(obj) as KubeObject;
          coerceAndDefault(copy, props);
          return copy;
        },
      },
      conversion,
    };
    if (names.shortNames.length > 0) def.shortNames = [...names.shortNames];
    if (names.categories.length > 0) def.categories = [...names.categories];
    if (subresources.length > 0) def.subresources = subresources;
    return def;
  });
}

// ---------------------------------------------------------------------------
// NamesAccepted

/** The outcome of the naming check: accepted, or why not (upstream's condition reason and message). */
export interface NamesVerdict {
  accepted: boolean;
  /** NoConflicts, PluralConflict, SingularConflict, ShortNamesConflict, KindConflict, ListKindConflict. */
  reason: string;
  /** `no conflicts found`, or e.g. `"foos" is already in use`. */
  message: string;
  /** The names that could be accepted (upstream's status.acceptedNames). */
  acceptedNames: Names;
}

function namesHeld(other: KubeObject): Names {
  const spec = isObj(other.spec) ? other.spec : {};
  return namesOf(spec.names);
}

function groupOf(crd: KubeObject): string {
  const spec = isObj(crd.spec) ? crd.spec : {};
  return typeof spec.group === 'string' ? spec.group : '';
}

/**
 * Whether a CRD's names can be accepted, given the CRDs whose names are
 * already accepted (`others`, holding their spec.names) and the built-in
 * resources (which always keep theirs). Within the CRD's group: its plural,
 * singular and short names may not be any resource name (plural, singular or
 * short name) in use, its kind and list kind no kind or list kind in use. The
 * last conflict found decides the reason, as upstream's naming controller does.
 */
export function crdNamesConflict(crd: KubeObject, others: readonly KubeObject[], builtins: readonly ResourceInfo[]): NamesVerdict {
  const group = groupOf(crd);
  const name = crd.metadata?.name;
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const o of others) {
    if (o === crd || (name !== undefined && o.metadata?.name === name) || groupOf(o) !== group) continue;
    const n = namesHeld(o);
    for (const r of [n.plural, n.singular, ...n.shortNames]) if (r) resources.add(r);
    for (const k of [n.kind, n.listKind || (n.kind ? `${n.kind}List` : '')]) if (k) kinds.add(k);
  }
  for (const b of builtins) {
    if (b.group !== group) continue;
    for (const r of [b.plural, b.singular, ...(b.shortNames ?? [])]) if (r) resources.add(r);
    for (const k of [b.kind, b.listKind]) if (k) kinds.add(k);
  }
  const requested = namesHeld(crd);
  if (!requested.singular) requested.singular = requested.kind.toLowerCase();
  if (!requested.listKind && requested.kind) requested.listKind = `${requested.kind}List`;
  const status = isObj(crd.status) ? crd.status : {};
  const accepted = namesOf(status.acceptedNames);
  const next: Names = { ...accepted, shortNames: [...accepted.shortNames], categories: [...requested.categories] };

  let reason = '', message = '';
  const inUse = (n: string, used: Set<string>) => (used.has(n) ? `${JSON.stringify(n)} is already in use` : undefined);

  const plural = inUse(requested.plural, resources);
  if (plural) { reason = 'PluralConflict'; message = plural; } else next.plural = requested.plural;
  const singular = inUse(requested.singular, resources);
  if (singular) { reason = 'SingularConflict'; message = singular; } else next.singular = requested.singular;
  const shortErrs = requested.shortNames.map((s) => inUse(s, resources)).filter((e): e is string => e !== undefined);
  if (shortErrs.length > 0) {
    reason = 'ShortNamesConflict';
    message = shortErrs.length === 1 ? shortErrs[0]! : `[${shortErrs.join(', ')}]`;
  } else {
    next.shortNames = [...requested.shortNames];
  }
  const kind = inUse(requested.kind, kinds);
  if (kind) { reason = 'KindConflict'; message = kind; } else next.kind = requested.kind;
  const listKind = inUse(requested.listKind, kinds);
  if (listKind) { reason = 'ListKindConflict'; message = listKind; } else next.listKind = requested.listKind;

  if (reason === '') return { accepted: true, reason: 'NoConflicts', message: 'no conflicts found', acceptedNames: next };
  return { accepted: false, reason, message, acceptedNames: next };
}
