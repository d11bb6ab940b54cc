// The kubeconfig contexts `kubevisor connect` writes: a cluster, user and
// context all named `kubevisor_NAME`, made current. The context remembers the
// context that was current before (an extension of the context, which kubectl
// keeps when it rewrites the file), so `disconnect` can switch back. Edits keep
// every other entry, comment and setting of the file as it was.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Document } from 'yaml';
import { loadYaml, yamlLib } from '../api/decode/yaml-lib.ts';
import { writePrivateFile } from '../server/pki/private-file.ts';
import { clusterOfContext } from './virtual-clusters.ts';
import { readIfExists, resolveTarget, withLock } from './kubeconfig-file.ts';

/** The extension of a context written by connect. */
export const PREVIOUS_CONTEXT_EXTENSION = 'kubevisor.dev/previous-context';

/** Credentials of a virtual cluster, base64 as in a kubeconfig. */
export interface ClusterCredentials {
  /** The context, cluster and user name: kubevisor_NAME. */
  readonly name: string;
  readonly server: string;
  readonly certificateAuthorityData?: string | undefined;
  readonly clientCertificateData?: string | undefined;
  readonly clientKeyData?: string | undefined;
  /** Used only when there is no client certificate. */
  readonly token?: string | undefined;
}

function entries(c: ClusterCredentials, previousContext?: string) {
  const cluster: Record<string, string> = { server: c.server };
  if (c.certificateAuthorityData) cluster['certificate-authority-data'] = c.certificateAuthorityData;
  const user: Record<string, string> = {};
  if (c.clientCertificateData && c.clientKeyData) {
    user['client-certificate-data'] = c.clientCertificateData;
    user['client-key-data'] = c.clientKeyData;
  } else if (c.token) {
    user.token = c.token;
  }
  const context: Record<string, unknown> = { cluster: c.name, user: c.name, namespace: 'default' };
  if (previousContext !== undefined) {
    context.extensions = [{ name: PREVIOUS_CONTEXT_EXTENSION, extension: { context: previousContext } }];
  }
  return {
    cluster: { name: c.name, cluster },
    user: { name: c.name, user },
    context: { name: c.name, context },
  };
}

/** A kubeconfig holding only this cluster, current (`connect --print`, `connect -- CMD`). */
export function standaloneConfig(c: ClusterCredentials): Record<string, unknown> {
  const e = entries(c);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [e.cluster],
    contexts: [e.context],
    'current-context': c.name,
    preferences: {},
    users: [e.user],
  };
}

function parse(text: string, where: string): Document {
  const y = yamlLib();
  const doc: Document = y.parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`cannot parse kubeconfig ${where}: ${doc.errors[0]!.message}`);
  if (doc.contents === null) {
    const empty: Document['contents'] = doc.createNode({});
    doc.contents = empty;
  }
  if (!y.isMap(doc.contents)) throw new Error(`kubeconfig ${where} is not a YAML mapping`);
  if (!doc.has('apiVersion')) doc.set('apiVersion', 'v1');
  if (!doc.has('kind')) doc.set('kind', 'Config');
  return doc;
}

function upsert(doc: Document, list: string, name: string, entry: object): void {
  const y = yamlLib();
  let seq = doc.get(list, true);
  if (!y.isSeq(seq)) {
    seq = doc.createNode([]);
    doc.set(list, seq);
  }
  if (!y.isSeq(seq)) throw new Error('unreachable');
  if (seq.items.length === 0) seq.flow = false;
  const node = doc.createNode(entry);
  const index = seq.items.findIndex((item) => y.isMap(item) && item.get('name') === name);
  if (index >= 0) seq.items[index] = node;
  else seq.items.push(node);
}

/** Remove the entry of `list` named `name`; true when there was one. */
function removeEntry(doc: Document, list: string, name: string): boolean {
  const y = yamlLib();
  const seq = doc.get(list, true);
  if (!y.isSeq(seq)) return false;
  const index = seq.items.findIndex((item) => y.isMap(item) && item.get('name') === name);
  if (index < 0) return false;
  seq.items.splice(index, 1);
  return true;
}

function contextEntry(doc: Document, name: string): Record<string, unknown> | undefined {
  const y = yamlLib();
  const seq = doc.get('contexts', true);
  if (!y.isSeq(seq)) return undefined;
  const item = seq.items.find((i) => y.isMap(i) && i.get('name') === name);
  return y.isMap(item) ? (item.toJSON() as Record<string, unknown>) : undefined;
}

/** The context a connect context remembers, or undefined when it records none. */
function previousOf(doc: Document, name: string): string | undefined {
  const context = contextEntry(doc, name)?.context as { extensions?: unknown } | undefined;
  if (!context || !Array.isArray(context.extensions)) return undefined;
  for (const ext of context.extensions as Array<{ name?: unknown; extension?: unknown }>) {
    if (ext?.name !== PREVIOUS_CONTEXT_EXTENSION) continue;
    const value = (ext.extension as { context?: unknown } | undefined)?.context;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

function current(doc: Document): string {
  const v = doc.get('current-context');
  return typeof v === 'string' ? v : '';
}

const render = (doc: Document) => doc.toString({ lineWidth: 0 });

export interface ConnectResult {
  readonly text: string;
  /** The context switch back to on disconnect ('' when none was current). */
  readonly previousContext: string;
}

/**
 * Add or replace the cluster's entries and make its context current. The
 * context to go back to is the one current now, or, when that is itself a
 * kubevisor_ context, the one it goes back to.
 */
export function connectContext(text: string, c: ClusterCredentials, where = 'file'): ConnectResult {
  const doc = parse(text, where);
  const now = current(doc);
  let previousContext = now;
  if (now === c.name || clusterOfContext(now) !== undefined) previousContext = previousOf(doc, now) ?? (now === c.name ? '' : now);
  const e = entries(c, previousContext);
  upsert(doc, 'clusters', c.name, e.cluster);
  upsert(doc, 'users', c.name, e.user);
  upsert(doc, 'contexts', c.name, e.context);
  doc.set('current-context', c.name);
  return { text: render(doc), previousContext };
}

export interface DisconnectResult {
  readonly text: string;
  readonly from: string;
  /** '' when no context was current before connect. */
  readonly to: string;
}

/** Switch from the current kubevisor_ context back to the one it remembers. */
export function disconnectContext(text: string, where = 'file'): DisconnectResult {
  const doc = parse(text, where);
  const from = current(doc);
  if (clusterOfContext(from) === undefined) {
    throw new Error(from === '' ? 'no current context: not connected to a virtual cluster' : `the current context "${from}" is not a virtual cluster's (kubevisor_NAME): not connected`);
  }
  const to = previousOf(doc, from);
  if (to === undefined) throw new Error(`context "${from}" records no previous context to switch back to; use "kubectl config use-context NAME"`);
  if (to !== '' && contextEntry(doc, to) === undefined) {
    throw new Error(`context "${from}" was connected from context "${to}", which no longer exists; use "kubectl config use-context NAME"`);
  }
  if (to === '') doc.delete('current-context');
  else doc.set('current-context', to);
  return { text: render(doc), from, to };
}

export interface RemoveResult {
  readonly text: string;
  /** Whether any entry was removed. */
  readonly removed: boolean;
  /** The context switched to when the removed one was current ('' for none), else undefined. */
  readonly switchedTo: string | undefined;
}

/** Remove the cluster, user and context `name`; when it was current, switch back to the context it remembers. */
export function removeContext(text: string, name: string, where = 'file'): RemoveResult {
  const doc = parse(text, where);
  let switchedTo: string | undefined;
  if (current(doc) === name) {
    const previous = previousOf(doc, name);
    switchedTo = previous !== undefined && previous !== name && (previous === '' || contextEntry(doc, previous)) ? previous : '';
    if (switchedTo === '') doc.delete('current-context');
    else doc.set('current-context', switchedTo);
  }
  const removed = [removeEntry(doc, 'contexts', name), removeEntry(doc, 'clusters', name), removeEntry(doc, 'users', name)].some(Boolean);
  return { text: render(doc), removed, switchedTo };
}

// ---------------------------------------------------------------------------
// Files


/**
 * Edit a kubeconfig file under its lock: `fn` gets its text ('' when it does
 * not exist) and returns the new text (undefined: leave the file alone) and a result.
 */
export async function editKubeconfig<T>(path: string, fn: (text: string, where: string) => { text: string | undefined; result: T }, create = true): Promise<T> {
  await loadYaml();
  const target = await resolveTarget(path);
  if (create) await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  else if ((await readIfExists(target)) === undefined) return fn('', target).result;
  return withLock(target, async () => {
    const existing = (await readIfExists(target)) ?? '';
    const { text, result } = fn(existing, target);
    if (text !== undefined && text !== existing) await writePrivateFile(target, text);
    return result;
  });
}

/** The current context named in one kubeconfig file ('' when none or no file). */
export async function currentContextOf(path: string): Promise<string> {
  const text = await readIfExists(path);
  if (text === undefined || text.trim() === '') return '';
  await loadYaml();
  return current(parse(text, path));
}
