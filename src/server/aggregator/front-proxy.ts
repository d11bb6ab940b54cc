// A cluster's front-proxy credentials: what it presents to aggregated API
// servers. As kube-apiserver's --requestheader-client-ca-file and
// --proxy-client-cert-file, a CA of its own (apart from the cluster's client
// CA: a certificate it issues authenticates nobody to the cluster) and a
// client certificate it signed with CN `front-proxy-client`, the identity
// extension servers accept in `requestheader-allowed-names`.
//
// Made on first need (the first APIService backed by a Service), then kept in
// the cluster's directory as `front-proxy.pem` (CA certificate, CA key,
// client certificate, client key), beside its other credentials; a file that
// does not parse, match or has little time left is made again.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueCertificate, newKeyPair, privateKeyPem } from '../pki/certificate.ts';
import { writePrivateFile } from '../pki/private-file.ts';
import type { VirtualCluster } from '../cluster.ts';

export const FRONT_PROXY_CLIENT = 'front-proxy-client';
const FILE = 'front-proxy.pem';
const DAY = 24 * 60 * 60 * 1000;
const BACKDATE = 5 * 60 * 1000;

export interface FrontProxy {
  /** The request-header CA (what extension servers trust for X-Remote-* headers). */
  readonly caPem: string;
  /** The client certificate (CN front-proxy-client) and its key. */
  readonly certPem: string;
  readonly keyPem: string;
}

/** New front-proxy credentials: a self-signed CA (its key too, to keep) and a client certificate it issued. */
export function newFrontProxy(cluster: string, now = Date.now()): FrontProxy & { caKeyPem: string } {
  const caKeys = newKeyPair();
  const caName = { commonName: `kubevisor-cluster-${cluster}-front-proxy-ca@${Math.floor(now / 1000)}` };
  const notAfter = new Date(now + 5 * 365 * DAY);
  const caPem = issueCertificate({ subject: caName, publicKey: caKeys.publicKey, notBefore: new Date(now - BACKDATE), notAfter, isCA: true },
    { name: caName, ...caKeys });
  const keys = newKeyPair();
  const certPem = issueCertificate({
    subject: { commonName: FRONT_PROXY_CLIENT }, publicKey: keys.publicKey, notBefore: new Date(now - BACKDATE),
    notAfter, extendedKeyUsages: ['clientAuth'],
  }, { name: caName, ...caKeys });
  return { caPem, caKeyPem: privateKeyPem(caKeys.privateKey), certPem, keyPem: privateKeyPem(keys.privateKey) };
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----\n?/g;

function withNewline(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

/** The text of a front-proxy file: CA certificate, CA key, client certificate, client key. */
export function frontProxyFileText(fp: FrontProxy & { caKeyPem: string }): string {
  return withNewline(fp.caPem) + withNewline(fp.caKeyPem) + withNewline(fp.certPem) + withNewline(fp.keyPem);
}

/** The credentials a file holds, if they are whole, match, and have more than 30 days left. */
export function parseFrontProxy(text: string, now = Date.now()): FrontProxy | undefined {
  const certs: string[] = [];
  const keys: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const block = withNewline(m[0]);
    if (m[1] === 'CERTIFICATE') certs.push(block);
    else if (m[1]!.endsWith('PRIVATE KEY')) keys.push(block);
  }
  if (certs.length < 2 || keys.length < 2) return undefined;
  try {
    const ca = new X509Certificate(certs[0]!);
    const leaf = new X509Certificate(certs[1]!);
    const caKey: KeyObject = createPrivateKey(keys[0]!);
    const key = createPrivateKey(keys[1]!);
    if (!ca.checkPrivateKey(caKey) || !leaf.checkPrivateKey(key) || !leaf.verify(ca.publicKey)) return undefined;
    if (leaf.validToDate.getTime() - now < 30 * DAY || ca.validToDate.getTime() - now < 30 * DAY) return undefined;
    return { caPem: certs[0]!, certPem: certs[1]!, keyPem: keys[1]! };
  } catch {
    return undefined;
  }
}

/** The front-proxy credentials kept in `dir`, made (and written there) when missing or unusable. */
export async function loadFrontProxy(dir: string, cluster: string): Promise<FrontProxy> {
  const path = join(dir, FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const found = text === undefined ? undefined : parseFrontProxy(text);
  if (found) return found;
  const made = newFrontProxy(cluster);
  await writePrivateFile(path, frontProxyFileText(made), { flush: false });
  return made;
}

type Source = () => Promise<FrontProxy>;
const sources = new WeakMap<VirtualCluster, Source>();
const loaded = new WeakMap<VirtualCluster, Promise<FrontProxy>>();

/** Where the cluster's front-proxy credentials come from (the manager: its directory). */
export function setFrontProxySource(vc: VirtualCluster, source: Source): void {
  sources.set(vc, source);
  loaded.delete(vc);
}

/** The cluster's front-proxy credentials, loaded once; a cluster without a source gets ones of its own, in memory. */
export function frontProxyOf(vc: VirtualCluster): Promise<FrontProxy> {
  let p = loaded.get(vc);
  if (!p) {
    const source = sources.get(vc) ?? (async () => newFrontProxy(vc.name));
    p = source();
    p.catch(() => loaded.delete(vc));
    loaded.set(vc, p);
  }
  return p;
}
