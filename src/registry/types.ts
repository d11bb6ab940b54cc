// A resource is a declaration: what it is called, where it lives, and a few small
// strategy functions. One generic store (server/) serves every declaration.

import type { FieldError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { Conversion } from './conversions/index.ts';
import type { SchemaNode } from '../api/schema/types.ts';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';
export type Scope = 'Namespaced' | 'Cluster';

export interface GroupVersionKind { group: string; version: string; kind: string }

/** The static facts discovery reports about a resource (derived from the upstream API). */
export interface ResourceInfo {
  group: string;              // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;             // the resource name in URLs
  singular: string;
  scope: Scope;
  verbs: Verb[];
  shortNames?: string[];
  categories?: string[];
  subresources?: SubresourceInfo[];
  /**
   * Versions of one resource share storage: this names the group/resource whose
   * keys hold the objects (e.g. autoscaling/v1 and v2 horizontalpodautoscalers).
   * Absent: group and plural of this declaration.
   */
  storage?: { group: string; resource: string };
}

export interface SubresourceInfo {
  name: string;               // 'status', 'scale', 'log', 'token', 'eviction', 'binding', ...
  kind: string;               // response kind
  group?: string;             // response group when it differs (Scale is autoscaling/v1)
  version?: string;
  verbs: Verb[];
}

/** One column of a server-side printed Table. */
export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: '' | 'name' | 'date';
  description: string;
  /** 0: always shown; 1: only with -o wide. */
  priority: 0 | 1;
}

export type TableCell = string | number | boolean | null;

/** Columns and the function that fills one row's cells from an object. */
export interface TableDef {
  columns: TableColumn[];
  /** Cells in column order. `now` is the time to compute ages against. */
  cells(obj: KubeObject, now: Date): TableCell[];
}

/** Extracts the value of a field selector key from an object ('' when absent). */
export type FieldGetter = (obj: KubeObject) => string;

/** Behaviour hooks, in the manner of Kubernetes' RESTCreateStrategy/RESTUpdateStrategy. */
export interface Strategy {
  /** Fill defaults on create (and on update of the fields a real server defaults). Mutates obj. */
  defaults?(obj: KubeObject): void;
  /** Clear what a client may not set on create (e.g. status), before defaulting. Mutates obj. */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over what a client may not change on update (e.g. status on the main resource). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Rules for any state of the object: run on create and on update. */
  validate?(obj: KubeObject): FieldError[];
  /** Rules only for a new object (e.g. ephemeral containers cannot be set on create). */
  validateCreate?(obj: KubeObject): FieldError[];
  /** Rules about what may change, given the old object. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * Rules for a write to the status subresource, which changes status only: when given,
   * it replaces validate and validateUpdate there (the stored rest was valid already).
   */
  validateStatusUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * On delete: true when the object must stay, terminating, although it has no
   * metadata finalizers (a namespace with spec.finalizers). May mutate obj to
   * its terminating form (e.g. status.phase = Terminating).
   */
  holdForDeletion?(obj: KubeObject): boolean;
  /** Which top-level fields make up "spec" for generation: generation increments when they change. Default ['spec']. */
  specFields?: string[];
  /**
   * Subresources besides status and scale that the generic store serves (get, update, patch),
   * by name, each changing one part of the object: a pod's `ephemeralcontainers`.
   */
  subresourceWrites?: Record<string, SubresourceWrite>;
}

/** A write to a subresource that changes one part of the object, as upstream's per-subresource update strategies. */
export interface SubresourceWrite {
  /**
   * The object to store: a copy of `old` with what the subresource may change taken from
   * `obj` (the written object) and defaulted; the rest of `obj`, metadata and status
   * included, is dropped. Must not change `old`.
   */
  prepare(obj: KubeObject, old: KubeObject): KubeObject;
  /** The rules of the write: they replace validate and validateUpdate there. */
  validate(obj: KubeObject, old: KubeObject): FieldError[];
  /**
   * The field paths this subresource cannot change, left out of the writer's field ownership
   * (upstream's reset fields); absent: status when the kind has a status subresource.
   */
  readonly resetPaths?: ReadonlyArray<ReadonlyArray<string>>;
}

/** A complete declaration: facts, behaviour and presentation. */
export interface ResourceDef extends ResourceInfo {
  strategy: Strategy;
  /** Absent: the default Name/Age table. */
  table?: TableDef;
  /** Every field selector key the resource supports (metadata.name included), with its getter. */
  fieldSelectors?: Record<string, FieldGetter>;
  /**
   * Loads the per-kind strategy hooks (defaults, validation) and the table
   * printer on first use; the store awaits it before writes, the server
   * before printing a Table.
   */
  loadBehaviour?: () => Promise<void>;
  /**
   * The structural schema of the kind (strict field validation, type checks,
   * pruning, server-side apply). Built-ins: derived from the upstream OpenAPI;
   * custom resources: from their CRD.
   */
  schema?: () => SchemaNode | undefined;
  /** Set for custom resources (served from a CRD): JSON and merge patches only, lists carry item kinds. */
  custom?: CustomResourceInfo;
  /** Present when several versions share storage: converts between them. */
  conversion?: Conversion;
  /** The resource is not stored: create returns a computed answer (reviews). */
  virtual?: (obj: KubeObject, ctx: VirtualContext) => KubeObject | Promise<KubeObject>;
}

/** What the server needs to know about a custom resource beyond a built-in's facts. */
export interface CustomResourceInfo {
  /** Name of the CRD (`<plural>.<group>`). */
  crdName: string;
  /** The scale subresource's paths (`.spec.replicas` style), when the CRD declares one. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /**
   * How a stored object reads in this version: pruned and defaulted with the
   * current schema (so a default added to the CRD later shows on old objects).
   */
  onRead?: (obj: KubeObject) => KubeObject;
}

/** What a virtual (non-stored) resource sees about the request, e.g. for SelfSubjectReview. */
export interface VirtualContext {
  user: UserInfo;
  /** Answers whether the requesting user may do something (authorization hook). */
  authorize(attrs: ResourceAttributes): Promise<{ allowed: boolean; reason?: string }>;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface ResourceAttributes {
  verb: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** For non-resource requests. */
  path?: string;
}

export function apiVersionOf(g: { group: string; version: string }): string {
  return g.group ? `${g.group}/${g.version}` : g.version;
}
