// Pointing kubectl at a cluster: write a kubeconfig of its own, or merge one
// cluster, user and context into the user's kubeconfig and make it current,
// leaving every other entry, comment and setting of that file as it was.
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Document } from 'yaml';
import { writePrivateFile } from '../server/pki/private-file.ts';
import { readIfExists, resolveTarget, withLock } from './kubeconfig-file.ts';
import { toPlainYaml } from './plain-yaml.ts';

// The YAML library is loaded only to edit a kubeconfig someone else wrote:
// loaded once, it would stay in the server's memory for good.
const require = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => require('yaml') as typeof import('yaml');
const isMap = (n: unknown) => yaml().isMap(n);
const isSeq = (n: unknown) => yaml().isSeq(n);
const parseDocument = (text: string) => yaml().parseDocument(text);

export interface KubeconfigCredentials {
  /** Name of the cluster, user and context entries. */
  readonly name: string;
  /** https://HOST:PORT */
  readonly server: string;
  /** PEM of the CA the server's certificate chains to. */
  readonly caCert: string;
  /** PEM client certificate and key: the identity of the context. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** The context's namespace; `default` when absent. */
  readonly namespace?: string;
  /** A bearer token, written as an extra user `<name>-token` (used by no context). */
  readonly token?: string;
}

export interface WriteKubeconfigOptions {
  /** Write a standalone kubeconfig here instead of merging into the user's. */
  readonly file?: string;
  /** More clusters to write alongside (before) the one made current. */
  readonly also?: readonly KubeconfigCredentials[];
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
}

export interface WrittenKubeconfig {
  readonly path: string;
  readonly mode: 'standalone' | 'merged';
  readonly context: string;
}

const YAML_OUT = { lineWidth: 0 } as const;

const b64 = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');

export function tokenUserName(name: string): string {
  return `${name}-token`;
}

function entries(c: KubeconfigCredentials) {
  return {
    cluster: { name: c.name, cluster: { server: c.server, 'certificate-authority-data': b64(c.caCert) } },
    user: { name: c.name, user: { 'client-certificate-data': b64(c.clientCert), 'client-key-data': b64(c.clientKey) } },
    context: { name: c.name, context: { cluster: c.name, user: c.name, namespace: c.namespace ?? 'default' } },
    tokenUser: c.token === undefined ? undefined : { name: tokenUserName(c.name), user: { token: c.token } },
  };
}

/** The kubeconfig path kubectl would modify: the first of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p !== '');
  return first ?? join(home, '.kube', 'config');
}

function setContents(doc: Document, value: object): void {
  const node: Document['contents'] = doc.createNode(value);
  doc.contents = node;
}

function parse(text: string, where: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`cannot parse kubeconfig ${where}: ${doc.errors[0]!.message}`);
  if (doc.contents === null) setContents(doc, {});
  if (!isMap(doc.contents)) throw new Error(`kubeconfig ${where} is not a YAML mapping`);
  return doc;
}

/** Replace the entry of `list` named `name`, or append one. */
function upsert(doc: Document, list: string, name: string, entry: object): void {
  let seq = doc.get(list, true);
  if (!isSeq(seq)) {
    seq = doc.createNode([]);
    doc.set(list, seq);
  }
  if (!isSeq(seq)) throw new Error('unreachable');
  if (seq.items.length === 0) seq.flow = false;
  const node = doc.createNode(entry);
  const index = seq.items.findIndex((item) => isMap(item) && item.get('name') === name);
  if (index >= 0) seq.items[index] = node;
  else seq.items.push(node);
}

/** A named entry of one of the lists, as plain data. */
function findEntry(doc: Document, list: string, name: string): unknown {
  const seq = doc.get(list, true);
  if (!isSeq(seq)) return undefined;
  const item = seq.items.find((i) => isMap(i) && i.get('name') === name);
  return isMap(item) ? item.toJSON() : undefined;
}

/**
 * A kubeconfig holding only this cluster. Without a new token, a token user
 * found in `previous` (the file being replaced) is carried over.
 */
export function standaloneKubeconfig(c: KubeconfigCredentials, previous?: string, also: readonly KubeconfigCredentials[] = []): string {
  const all = [...also, c];
  return toPlainYaml(freshConfig(all, all.map((x) => tokenUserOf(x, previous))));
}

/** The entry's token user: its new token, else the one `previous` holds for it. */
function tokenUserOf(c: KubeconfigCredentials, previous: string | undefined): unknown {
  const e = entries(c);
  if (e.tokenUser !== undefined || previous === undefined) return e.tokenUser;
  const own = ownTokenUser(previous, tokenUserName(c.name));
  if (own !== undefined) return own;
  try {
    return findEntry(parse(previous, 'being replaced'), 'users', tokenUserName(c.name));
  } catch {
    return undefined;
  }
}

/** A kubeconfig of these clusters, the last one current. */
function freshConfig(all: readonly KubeconfigCredentials[], tokenUsers: readonly unknown[]) {
  const es = all.map(entries);
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: es.map((e) => e.cluster),
    contexts: es.map((e) => e.context),
    'current-context': (all[all.length - 1] as KubeconfigCredentials).name,
    preferences: {},
    users: es.flatMap((e, i) => (tokenUsers[i] === undefined ? [e.user] : [e.user, tokenUsers[i]])) as never[],
  };
}

/** The token user as this module writes it (see plain-yaml.ts), without a YAML parser. */
function ownTokenUser(text: string, name: string): unknown {
  const quoted = '"(?:[^"\\\\]|\\\\.)*"';
  const re = new RegExp(`^- name: ${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n  user:\n    token: (${quoted})$`, 'm');
  const m = re.exec(text);
  return m ? { name, user: { token: JSON.parse(m[1] as string) as string } } : undefined;
}

/** `existing` with this cluster's cluster, user and context added or replaced, and made current. */
export function mergeKubeconfig(existing: string, c: KubeconfigCredentials, where = 'file'): string {
  if (existing.trim() === '') return toPlainYaml(freshConfig([c], [entries(c).tokenUser]));
  const doc = parse(existing, where);
  const e = entries(c);
  if (!doc.has('apiVersion')) doc.set('apiVersion', 'v1');
  if (!doc.has('kind')) doc.set('kind', 'Config');
  upsert(doc, 'clusters', c.name, e.cluster);
  upsert(doc, 'users', c.name, e.user);
  if (e.tokenUser) upsert(doc, 'users', e.tokenUser.name, e.tokenUser);
  upsert(doc, 'contexts', c.name, e.context);
  doc.set('current-context', c.name);
  return doc.toString(YAML_OUT);
}


/** Write the kubeconfig (mode 0600, atomically) and return where. */
export async function writeKubeconfig(c: KubeconfigCredentials, opts: WriteKubeconfigOptions = {}): Promise<WrittenKubeconfig> {
  const standalone = opts.file !== undefined;
  const path = await resolveTarget(opts.file ?? defaultKubeconfigPath(opts.env, opts.home));
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const all = [...(opts.also ?? []), c];
  if (standalone) {
    const previous = all.some((x) => x.token === undefined) ? await readIfExists(path) : undefined;
    await writePrivateFile(path, standaloneKubeconfig(c, previous, opts.also));
  } else {
    await withLock(path, async () => {
      let text = (await readIfExists(path)) ?? '';
      for (const x of all) text = mergeKubeconfig(text, x, path);
      await writePrivateFile(path, text);
    });
  }
  return { path, mode: standalone ? 'standalone' : 'merged', context: c.name };
}
