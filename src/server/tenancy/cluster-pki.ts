// A virtual cluster's own credentials under DATA/clusters/NAME/pki/:
//
//   client-ca.crt / client-ca.key   the cluster's client CA, an intermediate signed
//                                   by the server's root client CA
//   tokens.sha256                   hex SHA-256 of each static token, one per line
//
// Certificates the cluster accepts are issued by its own CA and carry the chain
// (leaf + cluster CA), so a client that picks its certificate by the server's
// list of acceptable CAs (Go's TLS does) finds it under the root.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashToken, isTokenHash, newAdminToken } from '../pki/admin-token.ts';
import { issueCertificate, newKeyPair, privateKeyPem, type DistinguishedName, type Signer } from '../pki/certificate.ts';
import { ADMIN_GROUP, ADMIN_USER } from '../pki/pki.ts';
import { ensurePrivateDir, writePrivateFile } from '../pki/private-file.ts';

const DAY = 24 * 60 * 60 * 1000;
const BACKDATE = 5 * 60 * 1000;

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

function nameOf(cert: X509Certificate): DistinguishedName {
  const organizations: string[] = [];
  let commonName = '';
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) commonName = line.slice(3);
    else if (line.startsWith('O=')) organizations.push(line.slice(2));
  }
  return { commonName, organizations };
}

export class ClusterPki {
  readonly dir: string;
  /** The cluster's client CA; a client certificate is the cluster's when this issued it. */
  readonly caCert: X509Certificate;
  readonly caCertPem: string;
  private readonly caKey: KeyObject;
  private readonly tokenHashes: Set<string>;

  private constructor(dir: string, caCertPem: string, caKey: KeyObject, tokenHashes: Set<string>) {
    this.dir = dir;
    this.caCertPem = caCertPem;
    this.caCert = new X509Certificate(caCertPem);
    this.caKey = caKey;
    this.tokenHashes = tokenHashes;
  }

  /** Load the cluster's CA and tokens from `dir`, making the CA on first use. */
  static async ensure(dir: string, cluster: string, root: RootClientCA): Promise<ClusterPki> {
    const read = (name: string) => readFile(join(dir, name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    const [certPem, keyPem, tokens] = await Promise.all([read('client-ca.crt'), read('client-ca.key'), read('tokens.sha256')]);
    const hashes = new Set((tokens ?? '').split('\n').map((l) => l.trim()).filter(isTokenHash));
    const rootCert = new X509Certificate(root.certPem);
    if (certPem !== undefined && keyPem !== undefined) {
      try {
        const cert = new X509Certificate(certPem);
        const key = createPrivateKey(keyPem);
        // Still ours: signed by this server's root, key matching, not about to expire.
        if (cert.checkPrivateKey(key) && cert.checkIssued(rootCert) && cert.verify(rootCert.publicKey) &&
          cert.validToDate.getTime() - Date.now() > 30 * DAY) {
          return new ClusterPki(dir, certPem, key, hashes);
        }
      } catch { /* remade below */ }
    }
    const now = Date.now();
    const keys = newKeyPair();
    const rootSigner: Signer = { name: nameOf(rootCert), privateKey: createPrivateKey(root.keyPem), publicKey: rootCert.publicKey };
    const notAfter = Math.min(now + 5 * 365 * DAY, rootCert.validToDate.getTime());
    const caPem = issueCertificate({
      subject: { commonName: `kubevisor-cluster-${cluster}-client-ca@${Math.floor(now / 1000)}` },
      publicKey: keys.publicKey, notBefore: new Date(now - BACKDATE), notAfter: new Date(notAfter), isCA: true,
    }, rootSigner);
    await ensurePrivateDir(dir);
    // Durable as the cluster's data is (a write survives the process being killed, not
    // power loss): no fsync. Both files at once.
    await Promise.all([
      writePrivateFile(join(dir, 'client-ca.key'), privateKeyPem(keys.privateKey), { flush: false }),
      writePrivateFile(join(dir, 'client-ca.crt'), caPem, { flush: false }),
    ]);
    return new ClusterPki(dir, caPem, keys.privateKey, hashes);
  }

  /** Digests of the cluster's static tokens. */
  get tokens(): ReadonlySet<string> {
    return this.tokenHashes;
  }

  /** True when `token` is one of the cluster's static tokens. */
  hasToken(token: string): boolean {
    return this.tokenHashes.has(hashToken(token));
  }

  /** New admin credentials (CN kubevisor-admin, O system:masters) for this cluster. */
  async issueAdmin(): Promise<ClusterCredentials> {
    const now = Date.now();
    const keys = newKeyPair();
    const signer: Signer = { name: nameOf(this.caCert), privateKey: this.caKey, publicKey: this.caCert.publicKey };
    const leaf = issueCertificate({
      subject: { commonName: ADMIN_USER, organizations: [ADMIN_GROUP] },
      publicKey: keys.publicKey,
      notBefore: new Date(now - BACKDATE),
      notAfter: new Date(Math.min(now + 365 * DAY, this.caCert.validToDate.getTime())),
      extendedKeyUsages: ['clientAuth'],
    }, signer);
    const token = newAdminToken();
    const hash = hashToken(token);
    await ensurePrivateDir(this.dir);
    await appendFile(join(this.dir, 'tokens.sha256'), `${hash}\n`, { mode: 0o600 });
    this.tokenHashes.add(hash);
    return { certChainPem: leaf + this.caCertPem, keyPem: privateKeyPem(keys.privateKey), token };
  }
}
