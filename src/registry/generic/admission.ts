// Admission plugins: checks and mutations every write of an object passes
// through before it is stored (a quota, limit ranges, IP allocation, admission
// webhooks), whoever writes it: a client or a controller, as upstream's
// admission chain does.
//
// A write passes the phases in upstream's order:
//   1. every plugin's `admit` (built-in mutations and checks; creates and
//      updates of the object itself only),
//   2. every plugin's `mutate` (mutating admission policies, then webhooks;
//      `reinvoke` once more when one changed the object), after which a
//      changed object is defaulted and validated again,
//   3. the kind's validation (the strategy),
//   4. every plugin's `validate` (quota, validating admission webhooks),
//   5. storage.
// `mutate` and `validate` see every write: subresources (`status`, ...) and
// deletes too, described by an AdmissionRequest; and, with nothing stored,
// connect requests (exec, attach, port-forward, proxy: operation CONNECT,
// server/admission/connect.ts) before they connect.

import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef, UserInfo } from '../types.ts';

export type AdmissionOperation = 'create' | 'update';

/** One write as the `mutate` and `validate` phases see it (upstream's admission attributes). */
export interface AdmissionRequest {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly def: ResourceDef;
  /** The kind of `object` when it is not the resource's own: a CONNECT's options (`PodExecOptions` ...). */
  readonly kind?: { readonly group: string; readonly version: string; readonly kind: string };
  /** The namespace of a namespaced object; undefined for a cluster-scoped one. */
  readonly namespace: string | undefined;
  /** The name the request names: '' for a create whose name is generated (metadata.generateName). */
  readonly name: string;
  /** The subresource written ('status', 'finalize', 'ephemeralcontainers') or connected to ('exec' ...); undefined for the object itself. */
  readonly subresource: string | undefined;
  /**
   * The object to store, in the request's version; undefined on DELETE; a
   * CONNECT's options. In the mutating phase a plugin changes it in place (the
   * store, or the connection, keeps this object).
   */
  readonly object: KubeObject | undefined;
  /** The stored object on UPDATE and DELETE. */
  readonly oldObject: KubeObject | undefined;
  /** The requesting user of a client's write; undefined for the server's own writes. */
  readonly user: UserInfo | undefined;
  readonly dryRun: boolean;
  /** The request's options as upstream shows them to webhooks: a CreateOptions, UpdateOptions or DeleteOptions object; null on CONNECT. */
  readonly options: Record<string, unknown> | null;
  /** Adds a warning to the response of a client's request (dropped for the server's own writes). */
  warn(text: string): void;
}

export interface AdmissionPlugin {
  readonly name: string;
  /**
   * Before the object is validated and stored: may mutate `obj`, or throw an
   * ApiError to refuse the write. `old` is the current object on update.
   * `user` is the requesting user of a client's write; undefined for the server's own writes.
   * `dryRun`: nothing will be stored; a plugin must not act outside the store (aborted follows).
   * Called for creates and updates of the object itself (not its subresources).
   */
  admit?(op: AdmissionOperation, def: ResourceDef, namespace: string | undefined, obj: KubeObject, old: KubeObject | undefined, user?: UserInfo, dryRun?: boolean): Promise<void> | void;
  /**
   * After every plugin's admit, for every write (subresources and deletes
   * included): may change `req.object` in place, or throw an ApiError to refuse
   * the write. Returns true when it changed the object: the store then
   * validates it again.
   */
  mutate?(req: AdmissionRequest): Promise<boolean> | boolean;
  /**
   * Upstream's reinvocation: when some plugin's `mutate` changed the object,
   * every plugin's `reinvoke` runs once more, in order, after all of them (a
   * plugin decides itself what to run again, e.g. MutatingAdmissionPolicies
   * with reinvocationPolicy IfNeeded). Returns true when it changed the object.
   */
  reinvoke?(req: AdmissionRequest): Promise<boolean> | boolean;
  /** After the kind's validation, just before storage, for every write: may only refuse (throw an ApiError). */
  validate?(req: AdmissionRequest): Promise<void> | void;
  /** The write admitted earlier did not happen (validation or storage refused it, or it was a dry run): undo reservations. */
  aborted?(op: AdmissionOperation, def: ResourceDef, obj: KubeObject): void;
  /** An object was deleted from storage. */
  deleted?(def: ResourceDef, obj: KubeObject): void;
}
