// A virtual cluster's own credentials, in one file DATA/clusters/NAME/credentials.pem:
//
//   the cluster's client CA certificate (PEM), an intermediate signed by the server's
//   root client CA, then its private key (PEM), then the hex SHA-256 of each static
//   token, one per line (appended as tokens are issued)
//
// Clusters made by earlier versions keep them in DATA/clusters/NAME/pki/
// (client-ca.crt, client-ca.key, tokens.sha256): read once and moved into the file.
//
// Certificates the cluster accepts are issued by its own CA and carry the chain
// (leaf + cluster CA), so a client that picks its certificate by the server's
// list of acceptable CAs (Go's TLS does) finds it under the root.
//
// The file is written as the cluster's data is (without fsync: it survives the process
// being killed, not power loss). A new cluster's file is written in place: a crash
// half-way leaves a file whose certificate or key does not parse or match, which the
// next open replaces with a new CA (no credentials were issued from the torn one). A
// torn last token line is not a digest and is ignored.
import { X509Certificate, createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashToken, isTokenHash, newAdminToken } from '../pki/admin-token.ts';
import { issueCertificate, privateKeyPem, type ExtendedKeyUsage, type KeyPair, type KeyUsage, type Signer } from '../pki/certificate.ts';
import { ADMIN_GROUP, ADMIN_USER, nameOf } from '../pki/pki.ts';
import { writePrivateFile } from '../pki/private-file.ts';

const DAY = 24 * 60 * 60 * 1000;
const BACKDATE = 5 * 60 * 1000;
const FILE = 'credentials.pem';
const LEGACY_DIR = 'pki';

/** The root client CA of the server: what signs each cluster's CA. */
export interface RootClientCA {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ClusterCredentials {
  /** PEM chain: the client certificate, then the cluster's CA. */
  readonly certChainPem: string;
  readonly keyPem: string;
  /** A static bearer token, usable until the cluster is deleted. */
  readonly token: string;
}

/** EC P-256 key pairs made on libuv's thread pool, off the event loop. */
const generateEcKeyPair = promisify(generateKeyPair);

/**
 * A few key pairs made ahead (each cluster needs two: its CA's and its first admin
 * certificate's), so creating a cluster does not wait for the thread pool. The spare
 * is made once one is taken; an idle server holds at most SPARE_KEYS.
 */
const SPARE_KEYS = 4;
const spareKeys: Promise<KeyPair>[] = [];
function newKeyPairAsync(): Promise<KeyPair> {
  const next = spareKeys.shift() ?? generateEcKeyPair('ec', { namedCurve: 'prime256v1' });
  while (spareKeys.length < SPARE_KEYS) {
    const p = generateEcKeyPair('ec', { namedCurve: 'prime256v1' });
    p.catch(() => undefined);
    spareKeys.push(p);
  }
  return next;
}

/** The root's certificate and signer, decoded once per root. */
const roots = new WeakMap<RootClientCA, { cert: X509Certificate; signer: Signer }>();
function rootOf(root: RootClientCA): { cert: X509Certificate; signer: Signer } {
  let r = roots.get(root);
  if (!r) {
    const cert = new X509Certificate(root.certPem);
    r = { cert, signer: { name: nameOf(cert), privateKey: createPrivateKey(root.keyPem), publicKey: cert.publicKey } };
    roots.set(root, r);
  }
  return r;
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----\n?/g;

/** The certificate, key and token digests of a credentials file. */
function parseFile(text: string): { certPem: string | undefined; keyPem: string | undefined; hashes: string[] } {
  let certPem: string | undefined, keyPem: string | undefined;
  for (const m of text.matchAll(PEM_BLOCK)) {
    const block = m[0].endsWith('\n') ? m[0] : `${m[0]}\n`;
    if (m[1] === 'CERTIFICATE') certPem ??= block;
    else if (m[1].endsWith('PRIVATE KEY')) keyPem ??= block;
  }
  const hashes = text.replace(PEM_BLOCK, '').split('\n').map((l) => l.trim()).filter(isTokenHash);
  return { certPem, keyPem, hashes };
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A new cluster's client CA certificate (PEM) for `publicKey`, signed by the root. */
export function issueClusterCA(cluster: string, publicKey: KeyObject, root: RootClientCA, now = Date.now()): string {
  const { cert: rootCert, signer: rootSigner } = rootOf(root);
  const notAfter = Math.min(now + 5 * 365 * DAY, rootCert.validToDate.getTime());
  return issueCertificate({
    subject: { commonName: `kubevisor-cluster-${cluster}-client-ca@${Math.floor(now / 1000)}` },
    publicKey, notBefore: new Date(now - BACKDATE), notAfter: new Date(notAfter), isCA: true,
  }, rootSigner);
}

/** An admin client certificate (CN kubevisor-admin, O system:masters) for `publicKey`, signed by a cluster's CA. */
export function issueAdminCertificate(publicKey: KeyObject, ca: Signer, caNotAfter: number, now = Date.now()): string {
  return issueCertificate({
    subject: { commonName: ADMIN_USER, organizations: [ADMIN_GROUP] },
    publicKey,
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(Math.min(now + 365 * DAY, caNotAfter)),
    extendedKeyUsages: ['clientAuth'],
  }, ca);
}

/** What a signer of certificate signing requests asks the cluster's CA to certify. */
export interface CertificateToSign {
  /** The requester's public key (any type: the CA signs, the key is only carried). */
  readonly publicKey: KeyObject;
  /** The request's subject as DER, carried over as it is (CN = user, O = groups). */
  readonly subject: Uint8Array;
  /** The request's subjectAltName entries (GeneralName DER), carried over. */
  readonly subjectAltNames?: readonly Uint8Array[];
  readonly keyUsages: readonly KeyUsage[];
  readonly extendedKeyUsages: readonly ExtendedKeyUsage[];
  /** How long the certificate should be valid; it never outlives the CA. */
  readonly durationMs: number;
}

const HOUR = 60 * 60 * 1000;

/**
 * A certificate for `req` signed by `ca`, with upstream's csrsigning timing: valid from
 * 5 minutes ago; a lifetime under 8 hours ends `durationMs` from now, a longer one 5 minutes
 * sooner; never after the CA's own end. Throws when the CA has expired.
 */
export function signRequestedCertificate(req: CertificateToSign, ca: Signer, caNotAfter: number, now = Date.now()): string {
  const notBefore = now - BACKDATE;
  if (notBefore >= caNotAfter) throw new Error(`the signer has expired: NotAfter=${new Date(caNotAfter).toISOString()}`);
  if (now >= caNotAfter) throw new Error('refusing to sign a certificate that expired in the past');
  const end = req.durationMs < 8 * HOUR ? now + req.durationMs : now + req.durationMs - BACKDATE;
  return issueCertificate({
    subject: { commonName: '' },
    rawSubject: req.subject,
    rawSubjectAltNames: req.subjectAltNames ?? [],
    publicKey: req.publicKey,
    notBefore: new Date(notBefore),
    notAfter: new Date(Math.min(end, caNotAfter)),
    keyUsages: req.keyUsages,
    extendedKeyUsages: req.extendedKeyUsages,
  }, ca);
}

/** A new cluster's credentials, made elsewhere (ClusterKits) and already in its directory. */
export interface PreparedCredentials {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  /** Admin credentials issued with them, whose token's digest the file holds. */
  readonly admin: ClusterCredentials;
}

export class ClusterPki {
  readonly dir: string;
  /** The cluster's client CA; a client certificate is the cluster's when this issued it. */
  readonly caCert: X509Certificate;
  readonly caCertPem: string;
  private caKey: KeyObject | string;
  private readonly tokenHashes: Set<string>;
  private caSigner: Signer | undefined;
  /** Admin credentials made with the CA, handed out by the first issueAdmin(). */
  private prepared: ClusterCredentials | undefined;

  private constructor(dir: string, caCertPem: string, caCert: X509Certificate, caKey: KeyObject | string, tokenHashes: Set<string>) {
    this.dir = dir;
    this.caCertPem = caCertPem;
    this.caCert = caCert;
    this.caKey = caKey;
    this.tokenHashes = tokenHashes;
  }

  /** The CA as a signer (its key decoded on first use). */
  private get signer(): Signer {
    if (typeof this.caKey === 'string') this.caKey = createPrivateKey(this.caKey);
    this.caSigner ??= { name: nameOf(this.caCert), privateKey: this.caKey, publicKey: this.caCert.publicKey };
    return this.caSigner;
  }

  /** The credentials of a cluster whose directory was made with `prepared` in it. */
  static fromPrepared(dir: string, prepared: PreparedCredentials): ClusterPki {
    const pki = new ClusterPki(dir, prepared.caCertPem, new X509Certificate(prepared.caCertPem), prepared.caKeyPem, new Set([hashToken(prepared.admin.token)]));
    pki.prepared = prepared.admin;
    return pki;
  }

  /**
   * Load the cluster's CA and tokens from its directory `dir` (which exists), making the
   * CA on first use. `fresh`: the directory was just made, so there is nothing to read.
   */
  static async ensure(dir: string, cluster: string, root: RootClientCA, opts: { fresh?: boolean } = {}): Promise<ClusterPki> {
    const path = join(dir, FILE);
    const { cert: rootCert } = rootOf(root);
    let found: ReturnType<typeof parseFile> | undefined;
    let legacy = false;
    if (!opts.fresh) {
      const text = await readIfThere(path);
      if (text !== undefined) {
        found = parseFile(text);
      } else {
        const files = await readdir(join(dir, LEGACY_DIR)).catch(() => [] as string[]);
        if (files.length > 0) {
          const read = (name: string) => (files.includes(name) ? readIfThere(join(dir, LEGACY_DIR, name)) : undefined);
          const [certPem, keyPem, tokens] = await Promise.all([read('client-ca.crt'), read('client-ca.key'), read('tokens.sha256')]);
          found = { certPem, keyPem, hashes: (tokens ?? '').split('\n').map((l) => l.trim()).filter(isTokenHash) };
          legacy = true;
        }
      }
    }
    const hashes = new Set(found?.hashes ?? []);
    if (found?.certPem !== undefined && found.keyPem !== undefined) {
      try {
        const cert = new X509Certificate(found.certPem);
        const key = createPrivateKey(found.keyPem);
        // Still ours: signed by this server's root, key matching, not about to expire.
        if (cert.checkPrivateKey(key) && cert.checkIssued(rootCert) && cert.verify(rootCert.publicKey) &&
          cert.validToDate.getTime() - Date.now() > 30 * DAY) {
          if (legacy) await writePrivateFile(path, credentialsFileText(found.certPem, found.keyPem, hashes), { flush: false });
          return new ClusterPki(dir, found.certPem, cert, key, hashes);
        }
      } catch { /* remade below */ }
    }
    const keys = await newKeyPairAsync();
    const caPem = issueClusterCA(cluster, keys.publicKey, root);
    const text = credentialsFileText(caPem, privateKeyPem(keys.privateKey), hashes);
    // A new cluster's file is written in place (see above); a replaced one, whose token
    // digests must survive, through a temporary file.
    if (found === undefined) writePrivateFileInPlace(path, text);
    else await writePrivateFile(path, text, { flush: false });
    return new ClusterPki(dir, caPem, new X509Certificate(caPem), keys.privateKey, hashes);
  }

  /** Digests of the cluster's static tokens. */
  get tokens(): ReadonlySet<string> {
    return this.tokenHashes;
  }

  /** True when `token` is one of the cluster's static tokens. */
  hasToken(token: string): boolean {
    return this.tokenHashes.has(hashToken(token));
  }

  /**
   * Sign a certificate signing request's key with the cluster's CA (the key stays here):
   * the certificate, then the CA (PEM), which the cluster accepts as a client's chain.
   */
  signCertificate(req: CertificateToSign, now = Date.now()): string {
    return signRequestedCertificate(req, this.signer, this.caCert.validToDate.getTime(), now) + this.caCertPem;
  }

  /** New admin credentials (CN kubevisor-admin, O system:masters) for this cluster. */
  async issueAdmin(): Promise<ClusterCredentials> {
    const prepared = this.prepared;
    if (prepared) {
      this.prepared = undefined;
      return prepared;
    }
    const keys = await newKeyPairAsync();
    const leaf = issueAdminCertificate(keys.publicKey, this.signer, this.caCert.validToDate.getTime());
    const token = newAdminToken();
    const hash = hashToken(token);
    appendFileSync(join(this.dir, FILE), `${hash}\n`, { mode: 0o600 });
    this.tokenHashes.add(hash);
    return { certChainPem: leaf + this.caCertPem, keyPem: privateKeyPem(keys.privateKey), token };
  }
}

/** The text of a credentials file. */
export function credentialsFileText(certPem: string, keyPem: string, hashes: Iterable<string>): string {
  let text = (certPem.endsWith('\n') ? certPem : `${certPem}\n`) + (keyPem.endsWith('\n') ? keyPem : `${keyPem}\n`);
  for (const h of hashes) text += `${h}\n`;
  return text;
}

// The files of a new cluster are small and written once: written synchronously, which
// costs far less CPU than a round trip through the thread pool (the store's own writes
// are synchronous too).
function writePrivateFileInPlace(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}
