// Admission plugins: checks and mutations every write of an object passes
// through before it is stored (a quota, limit ranges, IP allocation), whoever
// writes it: a client or a controller, as upstream's admission chain does.

import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef, UserInfo } from '../types.ts';

export type AdmissionOperation = 'create' | 'update';

export interface AdmissionPlugin {
  readonly name: string;
  /**
   * Before the object is validated and stored: may mutate `obj`, or throw an
   * ApiError to refuse the write. `old` is the current object on update.
   * `user` is the requesting user of a client's write; undefined for the server's own writes.
   * `dryRun`: nothing will be stored; a plugin must not act outside the store (aborted follows).
   */
  admit?(op: AdmissionOperation, def: ResourceDef, namespace: string | undefined, obj: KubeObject, old: KubeObject | undefined, user?: UserInfo, dryRun?: boolean): Promise<void> | void;
  /** The write admitted earlier did not happen (validation or storage refused it, or it was a dry run): undo reservations. */
  aborted?(op: AdmissionOperation, def: ResourceDef, obj: KubeObject): void;
  /** An object was deleted from storage. */
  deleted?(def: ResourceDef, obj: KubeObject): void;
}
