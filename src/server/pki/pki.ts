// The cluster's credentials under <dataDir>/pki/: made on first start, loaded
// afterwards, and remade piecewise when missing, unreadable, expiring or (for
// the serving certificate) lacking a host it must cover.
//
//   ca.crt / ca.key                 signs the serving certificate; kubeconfigs trust it
//   apiserver.crt / apiserver.key   serving certificate (serverAuth)
//   client-ca.crt / client-ca.key   signs client certificates the server accepts
//   admin.crt / admin.key           kubevisor-admin in system:masters (clientAuth)
//   admin-token.sha256              hex SHA-256 of the admin bearer token
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { hashToken, isTokenHash, newAdminToken } from './admin-token.ts';
import {
  issueCertificate,
  newKeyPair,
  privateKeyPem,
  type CertificateTemplate,
  type DistinguishedName,
  type Signer,
} from './certificate.ts';
import { ensurePrivateDir, writePrivateFile } from './private-file.ts';

export const ADMIN_USER = 'kubevisor-admin';
export const ADMIN_GROUP = 'system:masters';

/** Hosts every serving certificate covers. */
export const DEFAULT_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

const DAY = 24 * 60 * 60 * 1000;
const CA_LIFETIME = 10 * 365 * DAY;
const LEAF_LIFETIME = 365 * DAY;
/** Remake a CA with less than this left. */
const CA_RENEW_BEFORE = 90 * DAY;
/** Remake a leaf certificate with less than this left. */
const LEAF_RENEW_BEFORE = 30 * DAY;
/** Backdating notBefore tolerates clocks a little behind ours. */
const BACKDATE = 5 * 60 * 1000;

export interface Pki {
  /** <dataDir>/pki */
  readonly dir: string;
  /** PEM of the CA that signed the serving certificate (a kubeconfig's certificate-authority-data). */
  readonly caCert: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** PEM of the CA client certificates must chain to. */
  readonly clientCACert: string;
  /** PEM key of that CA: it signs each virtual cluster's own client CA. */
  readonly clientCAKey: string;
  /** PEM admin client certificate (CN kubevisor-admin, O system:masters) and its key. */
  readonly adminCert: string;
  readonly adminKey: string;
  /** Hex SHA-256 digests of the admin bearer tokens. */
  readonly adminTokenHashes: readonly string[];
  /** The plain admin token, only when this call created it; it is not stored anywhere. */
  readonly adminToken: string | undefined;
  /** What this call (re)generated, e.g. ['ca', 'serving']; empty when everything was loaded. */
  readonly generated: readonly PkiItem[];
}

export type PkiItem = 'ca' | 'serving' | 'client-ca' | 'admin' | 'admin-token';

export interface EnsurePkiOptions {
  /** Extra DNS names or IP addresses the serving certificate must cover. */
  readonly hosts?: readonly string[];
}

interface Pair {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
}

type Files = Record<string, string | undefined>;

const FILE_NAMES = [
  'ca.crt', 'ca.key',
  'apiserver.crt', 'apiserver.key',
  'client-ca.crt', 'client-ca.key',
  'admin.crt', 'admin.key',
  'admin-token.sha256',
] as const;

async function readAll(dir: string): Promise<Files> {
  const contents = await Promise.all(
    FILE_NAMES.map((name) =>
      readFile(join(dir, name), 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      }),
    ),
  );
  return Object.fromEntries(FILE_NAMES.map((name, i) => [name, contents[i]]));
}

/** The certificate and key stored as base.crt / base.key, if both parse and belong together. */
function parsePair(files: Files, base: string): Pair | undefined {
  const certPem = files[`${base}.crt`];
  const keyPem = files[`${base}.key`];
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(key)) return undefined;
    return { certPem, keyPem, cert, key };
  } catch {
    return undefined;
  }
}

function fresh(pair: Pair, now: number, renewBefore: number): boolean {
  return pair.cert.validFromDate.getTime() <= now + BACKDATE && pair.cert.validToDate.getTime() - now > renewBefore;
}

function issuedBy(pair: Pair, ca: Pair): boolean {
  return pair.cert.checkIssued(ca.cert) && pair.cert.verify(ca.cert.publicKey);
}

function subjectIs(pair: Pair, name: DistinguishedName): boolean {
  const expected = [...(name.organizations ?? []).map((o) => `O=${o}`), `CN=${name.commonName}`].join('\n');
  return pair.cert.subject === expected;
}

function coversHosts(pair: Pair, hosts: readonly string[]): boolean {
  return hosts.every((host) =>
    isIP(host) !== 0
      ? pair.cert.checkIP(host) !== undefined
      : pair.cert.checkHost(host, { subject: 'never', wildcards: false }) !== undefined,
  );
}

function signerOf(pair: Pair, name: DistinguishedName): Signer {
  return { name, privateKey: pair.key, publicKey: pair.cert.publicKey };
}

/** The subject a certificate already carries, to sign with under the same name. */
/** The subject of a certificate as a name to sign with (CN and O attributes). */
export function nameOf(cert: X509Certificate): DistinguishedName {
  const organizations: string[] = [];
  let commonName = '';
  for (const line of cert.subject.split('\n')) {
    if (line.startsWith('CN=')) commonName = line.slice(3);
    else if (line.startsWith('O=')) organizations.push(line.slice(2));
  }
  return { commonName, organizations };
}

function makePair(template: Omit<CertificateTemplate, 'publicKey'>, signer: Signer | 'self'): Pair {
  const keys = newKeyPair();
  const certPem = issueCertificate(
    { ...template, publicKey: keys.publicKey },
    signer === 'self' ? { name: template.subject, ...keys } : signer,
  );
  return { certPem, keyPem: privateKeyPem(keys.privateKey), cert: new X509Certificate(certPem), key: keys.privateKey };
}

function makeCA(commonName: string, now: number): Pair {
  return makePair(
    {
      subject: { commonName: `${commonName}@${Math.floor(now / 1000)}` },
      notBefore: new Date(now - BACKDATE),
      notAfter: new Date(now + CA_LIFETIME),
      isCA: true,
    },
    'self',
  );
}

function makeLeaf(ca: Pair, now: number, template: Omit<CertificateTemplate, 'publicKey' | 'notBefore' | 'notAfter'>): Pair {
  const notAfter = Math.min(now + LEAF_LIFETIME, ca.cert.validToDate.getTime());
  return makePair(
    { ...template, notBefore: new Date(now - BACKDATE), notAfter: new Date(notAfter) },
    signerOf(ca, nameOf(ca.cert)),
  );
}

/** Hosts for the serving certificate: the defaults plus `extra`, deduplicated, wildcards dropped. */
export function servingHosts(extra: readonly string[] = []): string[] {
  const hosts = new Set<string>();
  for (const host of [...DEFAULT_HOSTS, ...extra]) {
    const trimmed = host.trim().replace(/^\[(.*)\]$/, '$1');
    if (trimmed === '' || trimmed === '0.0.0.0' || trimmed === '::') continue;
    hosts.add(trimmed.includes(':') ? trimmed : trimmed.toLowerCase());
  }
  return [...hosts];
}

/** Load the PKI under `<dataDir>/pki`, creating or renewing whatever needs it. */
export async function ensurePki(dataDir: string, opts: EnsurePkiOptions = {}): Promise<Pki> {
  const dir = join(dataDir, 'pki');
  const files = await readAll(dir);
  const now = Date.now();
  const hosts = servingHosts(opts.hosts);
  const generated: PkiItem[] = [];
  const writes: Array<[string, string]> = [];
  const save = (base: string, pair: Pair) => {
    writes.push([`${base}.key`, pair.keyPem], [`${base}.crt`, pair.certPem]);
  };

  let ca = parsePair(files, 'ca');
  if (!ca || !ca.cert.ca || !fresh(ca, now, CA_RENEW_BEFORE)) {
    ca = makeCA('kubevisor-ca', now);
    save('ca', ca);
    generated.push('ca');
  }

  let serving = parsePair(files, 'apiserver');
  if (
    !serving || generated.includes('ca') || !fresh(serving, now, LEAF_RENEW_BEFORE) ||
    !issuedBy(serving, ca) || !coversHosts(serving, hosts)
  ) {
    serving = makeLeaf(ca, now, {
      subject: { commonName: 'kubevisor-apiserver' },
      extendedKeyUsages: ['serverAuth'],
      hosts,
    });
    save('apiserver', serving);
    generated.push('serving');
  }

  let clientCA = parsePair(files, 'client-ca');
  if (!clientCA || !clientCA.cert.ca || !fresh(clientCA, now, CA_RENEW_BEFORE)) {
    clientCA = makeCA('kubevisor-client-ca', now);
    save('client-ca', clientCA);
    generated.push('client-ca');
  }

  const adminName: DistinguishedName = { commonName: ADMIN_USER, organizations: [ADMIN_GROUP] };
  let admin = parsePair(files, 'admin');
  if (
    !admin || generated.includes('client-ca') || !fresh(admin, now, LEAF_RENEW_BEFORE) ||
    !issuedBy(admin, clientCA) || !subjectIs(admin, adminName)
  ) {
    admin = makeLeaf(clientCA, now, { subject: adminName, extendedKeyUsages: ['clientAuth'] });
    save('admin', admin);
    generated.push('admin');
  }

  let adminToken: string | undefined;
  let tokenHash = files['admin-token.sha256']?.trim();
  if (tokenHash === undefined || !isTokenHash(tokenHash)) {
    adminToken = newAdminToken();
    tokenHash = hashToken(adminToken);
    writes.push(['admin-token.sha256', `${tokenHash}\n`]);
    generated.push('admin-token');
  }

  if (writes.length > 0) {
    await ensurePrivateDir(dir);
    // Keys before certificates: a crash in between leaves a mismatched pair, which is remade.
    await Promise.all(writes.filter(([name]) => name.endsWith('.key')).map(([name, data]) => writePrivateFile(join(dir, name), data)));
    await Promise.all(writes.filter(([name]) => !name.endsWith('.key')).map(([name, data]) => writePrivateFile(join(dir, name), data)));
  }

  return {
    dir,
    caCert: ca.certPem,
    servingCert: serving.certPem,
    servingKey: serving.keyPem,
    clientCACert: clientCA.certPem,
    clientCAKey: clientCA.keyPem,
    adminCert: admin.certPem,
    adminKey: admin.keyPem,
    adminTokenHashes: [tokenHash],
    adminToken,
    generated,
  };
}
