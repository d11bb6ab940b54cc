// Cluster-scoped objects on the host (the PriorityClasses the syncer makes):
// the connection's object methods with namespace '', by resource name (no
// discovery), with "gone already" taken as done.

import type { KubeObject } from '../../api/types.ts';
import type { HostConnection } from './connection.ts';
import { HostError } from './errors.ts';

/** A cluster-scoped kind on the host by its resource name. */
export interface ClusterResource {
  readonly apiVersion: string;
  readonly plural: string;
}

export class ClusterObjects {
  private readonly conn: HostConnection;
  private readonly resource: ClusterResource;

  constructor(conn: HostConnection, resource: ClusterResource) {
    this.conn = conn;
    this.resource = resource;
  }

  async list(labelSelector?: string): Promise<KubeObject[]> {
    return (await this.conn.list(this.resource, '', { labelSelector })).items;
  }

  /** The object, or undefined when there is none. */
  async get(name: string): Promise<KubeObject | undefined> {
    try {
      return await this.conn.get(this.resource, '', name);
    } catch (e) {
      if (e instanceof HostError && e.notFound) return undefined;
      throw e;
    }
  }

  async create(obj: KubeObject, fieldManager?: string): Promise<KubeObject> {
    return await this.conn.create(this.resource, '', obj, { fieldManager });
  }

  /** Replace the object; its resourceVersion, when set, is a precondition. */
  async update(obj: KubeObject, fieldManager?: string): Promise<KubeObject> {
    return await this.conn.update(this.resource, '', obj, { fieldManager });
  }

  /** Delete the object if it still has `uid`; gone already (or replaced meanwhile) is fine. */
  async delete(name: string, uid?: string): Promise<void> {
    try {
      await this.conn.delete(this.resource, '', name, { uid });
    } catch (e) {
      if (!(e instanceof HostError && (e.notFound || e.conflict))) throw e;
    }
  }
}
