// The key a virtual cluster signs service account tokens with: one per
// cluster, made on first use, kept as <dataDir>/clusters/<name>/sa-signing-key.pem
// (PKCS#8, mode 0600) and read back on later starts.
//
// A virtual cluster's new key is ES256 (P-256): the syncer signs a token for
// every synced pod, and an ECDSA signature costs a tenth of an RSA one.
// kube-apiserver accepts both kinds of key file. A relying party that only
// takes RS256 (the one algorithm OIDC discovery makes mandatory) can be served
// by putting an RSA 2048 key in the cluster's key file: a key file holding an
// RSA key signs with RS256 (generateSigningKey's default), an EC key (P-256,
// P-384, P-521) with ES256/ES384/ES512.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePrivateDir, writePrivateFile } from '../pki/private-file.ts';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512';

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** base64url (unpadded) SHA-256 of the DER SubjectPublicKeyInfo, as kube-apiserver derives it. */
  readonly kid: string;
  /** The JWS algorithm the key signs with. */
  readonly alg: SigningAlgorithm;
}

/** The public half only: enough to verify tokens and publish the key (e.g. a retired key still trusted). */
export type VerificationKey = Pick<SigningKey, 'publicKey' | 'kid' | 'alg'>;

/** Name of the key file inside a cluster's directory. */
export const SIGNING_KEY_FILE = 'sa-signing-key.pem';

/** `<dataDir>/clusters/<cluster>/sa-signing-key.pem` */
export function signingKeyPath(dataDir: string, cluster: string): string {
  return join(dataDir, 'clusters', cluster, SIGNING_KEY_FILE);
}

/** The key ID of a public key: unpadded base64url of SHA-256 over its PKIX (SPKI) DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

const curveAlgorithms: Record<string, SigningAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/** The algorithm a key signs with; throws for key types kube-apiserver does not sign with. */
export function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new Error(`RSA signing key of ${bits} bits is too small (at least 2048 required)`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec') {
    const alg = curveAlgorithms[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (alg) return alg;
    throw new Error(`unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve ?? '(unknown)'}: must be P-256, P-384 or P-521`);
  }
  throw new Error(`unsupported signing key type ${key.asymmetricKeyType ?? '(unknown)'}: must be RSA or EC`);
}

/** A SigningKey from a private key. */
export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  if (privateKey.type !== 'private') throw new Error('a signing key must be a private key');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, kid: keyIdOf(publicKey), alg: algorithmOf(privateKey) };
}

/** Parse a PEM private key (PKCS#8, or PKCS#1 RSA / SEC1 EC). */
export function signingKeyFromPem(pem: string): SigningKey {
  return signingKeyFrom(createPrivateKey(pem));
}

/** A verification key from a PEM public key (or a private key, whose public half is taken). */
export function verificationKeyFromPem(pem: string): VerificationKey {
  const publicKey = createPublicKey(pem);
  return { publicKey, kid: keyIdOf(publicKey), alg: algorithmOf(publicKey) };
}

export function signingKeyPem(key: SigningKey): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** A new key (off the main thread: RSA generation takes a noticeable time). */
export async function generateSigningKey(alg: SigningAlgorithm = 'RS256'): Promise<SigningKey> {
  const pair = alg === 'RS256'
    ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
    : await generateKeyPairAsync('ec', { namedCurve: alg === 'ES256' ? 'prime256v1' : alg === 'ES384' ? 'secp384r1' : 'secp521r1' });
  return signingKeyFrom(pair.privateKey);
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function parseKeyFile(path: string, pem: string): SigningKey {
  try {
    return signingKeyFromPem(pem);
  } catch (err) {
    // Not silently replaced: a new key would invalidate every token already issued.
    throw new Error(`service account signing key ${path} is not usable: ${(err as Error).message}`, { cause: err });
  }
}

/** Read the key at `path` synchronously; undefined when there is no file. Throws when the file is unusable. */
export function readSigningKeySync(path: string): SigningKey | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return parseKeyFile(path, pem);
}

/** Read the key at `path`; undefined when there is no file. Throws when the file is unusable. */
export async function readSigningKey(path: string): Promise<SigningKey | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return parseKeyFile(path, pem);
}

// Generation in flight per path, so concurrent first uses in this process agree on one key.
const pending = new Map<string, Promise<SigningKey>>();

/**
 * The key at `path`, generating and persisting one when there is none. The file
 * is created exclusively: if another writer got there first, its key is used.
 */
export function ensureSigningKey(path: string, alg: SigningAlgorithm = 'RS256'): Promise<SigningKey> {
  let p = pending.get(path);
  if (!p) {
    p = loadOrCreate(path, alg).finally(() => pending.delete(path));
    pending.set(path, p);
  }
  return p;
}

async function loadOrCreate(path: string, alg: SigningAlgorithm): Promise<SigningKey> {
  const existing = await readSigningKey(path);
  if (existing) return existing;
  const key = await generateSigningKey(alg);
  const pem = signingKeyPem(key);
  await ensurePrivateDir(dirname(path));
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, pem, { mode: 0o600, flush: true });
    try {
      // link() fails with EEXIST rather than replacing a key someone else just wrote.
      await link(temp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const winner = await readSigningKey(path);
        if (winner) return winner;
        throw err;
      }
      // File systems without hard links: an atomic replace is the next best thing.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        await writePrivateFile(path, pem);
      } else {
        throw err;
      }
    }
  } finally {
    await rm(temp, { force: true });
  }
  return key;
}

/**
 * A cluster's key file, loaded once. `peek()` is for verifying (synchronous,
 * never creates a key: with no key yet, no token can be valid); `get()` is for
 * signing (creates the key on first use).
 */
export class ClusterSigningKey {
  readonly path: string;
  readonly algorithm: SigningAlgorithm;
  private key: SigningKey | undefined;
  private checkedDisk = false;

  constructor(path: string, algorithm: SigningAlgorithm = 'ES256') {
    this.path = path;
    this.algorithm = algorithm;
  }

  static forCluster(dataDir: string, cluster: string, algorithm?: SigningAlgorithm): ClusterSigningKey {
    return new ClusterSigningKey(signingKeyPath(dataDir, cluster), algorithm);
  }

  /** The key when it exists (read from disk on the first call), else undefined. */
  peek(): SigningKey | undefined {
    if (!this.key && !this.checkedDisk) {
      this.key = readSigningKeySync(this.path);
      this.checkedDisk = true;
    }
    return this.key;
  }

  /** The key, generated and persisted on first use. */
  async get(): Promise<SigningKey> {
    if (this.key) return this.key;
    this.key = await ensureSigningKey(this.path, this.algorithm);
    this.checkedDisk = true;
    return this.key;
  }
}
