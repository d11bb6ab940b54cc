// Small helpers for host writes that may race with others.
import { HostError, type HostConnection, type HostResource } from './host/index.ts';

/** Delete a host object; gone already is fine. */
export async function deleteHost(conn: HostConnection, r: HostResource, ns: string, name: string, uid?: string, gracePeriodSeconds?: number): Promise<void> {
  try {
    await conn.delete(r, ns, name, { uid, gracePeriodSeconds });
  } catch (e) {
    if (e instanceof HostError && (e.notFound || e.conflict)) return;
    throw e;
  }
}

/** A write refused because the object is there already, or changed meanwhile: the informer will bring the news. */
export function raced(e: unknown): boolean {
  return e instanceof HostError && (e.alreadyExists || e.conflict);
}

/** A host answer that retrying at once would not change (quota, policy, validation). */
export function refusal(e: unknown): e is HostError {
  return e instanceof HostError && !e.transient && e.code >= 400 && e.code < 500;
}
