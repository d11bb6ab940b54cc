// PKCS#10 certificate signing requests (RFC 2986) as Kubernetes reads them:
// the first PEM block must be a CERTIFICATE REQUEST; its subject (CN, O), public
// key and subjectAltNames (from the extensionRequest attribute) are read, and its
// self-signature is checked with the algorithms Go's crypto/x509 accepts there.
// Errors carry Go's words where a client can see them (CSR validation).

import { X509Certificate, constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Asn1Error, TAG, bitStringBytes, childrenOf, expectTag, oidText, readOnly, stringValue, type Tlv } from './der.ts';
import { decodeAllPem, decodePem } from './pem.ts';

export class CsrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsrError';
  }
}

export interface CertificateRequest {
  /** The subject as Go's pkix.Name reads it: the last CN, every O in order. */
  readonly commonName: string;
  readonly organizations: readonly string[];
  /** The subject's DER encoding, as the request has it. */
  readonly rawSubject: Buffer;
  readonly publicKey: KeyObject;
  readonly dnsNames: readonly string[];
  readonly emailAddresses: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly uris: readonly string[];
  /** The DER of each DNS, email, IP and URI subjectAltName (what a signer carries over), in order. */
  readonly subjectAltNames: readonly Buffer[];
  /** What the signature covers, its algorithm and the signature itself. */
  readonly rawInfo: Buffer;
  readonly signatureAlgorithm: string;
  readonly signatureParams: Tlv | undefined;
  readonly signature: Buffer;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  md5WithRSA: '1.2.840.113549.1.1.4',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  rsaPSS: '1.2.840.113549.1.1.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  ecdsaWithSHA1: '1.2.840.10045.4.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

export const PEM_TYPE_ERROR = 'PEM block type must be CERTIFICATE REQUEST';

/** Parse the DER of a certificate request (no signature check). */
export function parseCertificateRequest(der: Buffer): CertificateRequest {
  const top = childrenOf(expectTag(readOnly(der), TAG.sequence, 'CertificationRequest'));
  const info = expectTag(top[0], TAG.sequence, 'CertificationRequestInfo');
  const alg = childrenOf(expectTag(top[1], TAG.sequence, 'AlgorithmIdentifier'));
  const signature = bitStringBytes(expectTag(top[2], TAG.bitString, 'signature'));
  const [version, subject, spki, attributes] = childrenOf(info);
  expectTag(version, TAG.integer, 'version');
  expectTag(subject, TAG.sequence, 'subject');
  expectTag(spki, TAG.sequence, 'subjectPKInfo');

  let commonName = '';
  const organizations: string[] = [];
  for (const rdn of childrenOf(subject!)) {
    for (const atv of childrenOf(expectTag(rdn, TAG.set, 'RelativeDistinguishedName'))) {
      const [type, value] = childrenOf(expectTag(atv, TAG.sequence, 'AttributeTypeAndValue'));
      const oid = oidText(expectTag(type, TAG.oid, 'attribute type').content);
      if (!value) throw new Asn1Error('asn1: syntax error: missing attribute value');
      if (oid === OID.commonName) commonName = stringValue(value);
      else if (oid === OID.organization) organizations.push(stringValue(value));
    }
  }

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spki!.raw, format: 'der', type: 'spki' });
  } catch {
    throw new CsrError('x509: unsupported or malformed public key');
  }

  const sans = { dnsNames: [] as string[], emailAddresses: [] as string[], ipAddresses: [] as string[], uris: [] as string[], raw: [] as Buffer[] };
  if (attributes !== undefined) {
    if (attributes.tag !== 0xa0) throw new Asn1Error("asn1: structure error: tags don't match (attributes)");
    for (const attr of childrenOf(attributes)) {
      const [type, values] = childrenOf(expectTag(attr, TAG.sequence, 'attribute'));
      if (oidText(expectTag(type, TAG.oid, 'attribute type').content) !== OID.extensionRequest) continue;
      for (const exts of childrenOf(expectTag(values, TAG.set, 'attribute values'))) {
        for (const ext of childrenOf(expectTag(exts, TAG.sequence, 'extensions'))) {
          const parts = childrenOf(expectTag(ext, TAG.sequence, 'extension'));
          const id = oidText(expectTag(parts[0], TAG.oid, 'extension id').content);
          const value = expectTag(parts[parts.length - 1], TAG.octetString, 'extension value');
          if (id === OID.subjectAltName) readSubjectAltNames(value.content, sans);
        }
      }
    }
  }

  return {
    commonName, organizations, rawSubject: Buffer.from(subject!.raw), publicKey,
    dnsNames: sans.dnsNames, emailAddresses: sans.emailAddresses, ipAddresses: sans.ipAddresses, uris: sans.uris,
    subjectAltNames: sans.raw,
    rawInfo: Buffer.from(info.raw), signatureAlgorithm: oidText(expectTag(alg[0], TAG.oid, 'algorithm').content),
    signatureParams: alg[1], signature: Buffer.from(signature),
  };
}

function readSubjectAltNames(der: Buffer, out: { dnsNames: string[]; emailAddresses: string[]; ipAddresses: string[]; uris: string[]; raw: Buffer[] }): void {
  for (const name of childrenOf(expectTag(readOnly(der), TAG.sequence, 'GeneralNames'))) {
    switch (name.tag) {
      case 0x81: out.emailAddresses.push(name.content.toString('ascii')); break;
      case 0x82: out.dnsNames.push(name.content.toString('ascii')); break;
      case 0x86: out.uris.push(name.content.toString('ascii')); break;
      case 0x87: out.ipAddresses.push(ipText(name.content)); break;
      default: continue;
    }
    out.raw.push(Buffer.from(name.raw));
  }
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  throw new CsrError(`x509: cannot parse IP address of length ${b.length}`);
}

/** Decode and parse a PEM certificate request as upstream's ParseCSR does (the first PEM block must be one). */
export function parseCertificateRequestPem(pem: Uint8Array): CertificateRequest {
  const found = decodePem(Buffer.from(pem).toString('latin1'));
  if (!found || found.block.type !== 'CERTIFICATE REQUEST') throw new CsrError(PEM_TYPE_ERROR);
  return parseCertificateRequest(found.block.bytes);
}

const KEY_TYPE_NAMES: Record<string, { algo: string; goType: string }> = {
  rsa: { algo: 'RSA', goType: '*rsa.PublicKey' },
  'rsa-pss': { algo: 'RSA', goType: '*rsa.PublicKey' },
  ec: { algo: 'ECDSA', goType: '*ecdsa.PublicKey' },
  ed25519: { algo: 'Ed25519', goType: 'ed25519.PublicKey' },
};

/** The hash of an RSASSA-PSS parameter set (hashAlgorithm [0]), as Go accepts them (SHA-256/384/512). */
function pssHash(params: Tlv | undefined): string | undefined {
  if (!params || params.tag !== TAG.sequence) return undefined;
  const first = childrenOf(params)[0];
  if (!first || first.tag !== 0xa0) return undefined;
  const alg = childrenOf(first)[0];
  if (!alg || alg.tag !== TAG.sequence) return undefined;
  const oid = oidText(expectTag(childrenOf(alg)[0], TAG.oid, 'hash algorithm').content);
  return oid === OID.sha256 ? 'sha256' : oid === OID.sha384 ? 'sha384' : oid === OID.sha512 ? 'sha512' : undefined;
}

const SALT_LENGTH: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * Check the request's self-signature as Go's CertificateRequest.CheckSignature does (SHA-1
 * allowed); returns Go's error text, or undefined when it verifies.
 */
export function checkSignature(req: CertificateRequest): string | undefined {
  let keyAlgo: 'RSA' | 'ECDSA' | 'Ed25519';
  let hash: string | null;
  let pss = false;
  switch (req.signatureAlgorithm) {
    case OID.md5WithRSA: return 'x509: cannot verify signature: insecure algorithm MD5-RSA';
    case OID.sha1WithRSA: keyAlgo = 'RSA'; hash = 'sha1'; break;
    case OID.sha256WithRSA: keyAlgo = 'RSA'; hash = 'sha256'; break;
    case OID.sha384WithRSA: keyAlgo = 'RSA'; hash = 'sha384'; break;
    case OID.sha512WithRSA: keyAlgo = 'RSA'; hash = 'sha512'; break;
    case OID.rsaPSS: {
      const h = pssHash(req.signatureParams);
      if (!h) return 'x509: cannot verify signature: algorithm unimplemented';
      keyAlgo = 'RSA'; hash = h; pss = true;
      break;
    }
    case OID.ecdsaWithSHA1: keyAlgo = 'ECDSA'; hash = 'sha1'; break;
    case OID.ecdsaWithSHA256: keyAlgo = 'ECDSA'; hash = 'sha256'; break;
    case OID.ecdsaWithSHA384: keyAlgo = 'ECDSA'; hash = 'sha384'; break;
    case OID.ecdsaWithSHA512: keyAlgo = 'ECDSA'; hash = 'sha512'; break;
    case OID.ed25519: keyAlgo = 'Ed25519'; hash = null; break;
    default: return 'x509: cannot verify signature: algorithm unimplemented';
  }
  const have = KEY_TYPE_NAMES[req.publicKey.asymmetricKeyType ?? ''];
  if (!have) return 'x509: cannot verify signature: algorithm unimplemented';
  if (have.algo !== keyAlgo) {
    return `x509: signature algorithm specifies an ${keyAlgo} public key, but have public key of type ${have.goType}`;
  }
  let ok: boolean;
  try {
    const key = pss ? { key: req.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT_LENGTH[hash as string] } : req.publicKey;
    ok = verify(hash, req.rawInfo, key, req.signature);
  } catch {
    ok = false;
  }
  if (ok) return undefined;
  if (keyAlgo === 'ECDSA') return 'x509: ECDSA verification failure';
  if (keyAlgo === 'Ed25519') return 'x509: Ed25519 verification failure';
  return 'crypto/rsa: verification error';
}

/**
 * What upstream's CSR validation says of a request: undefined when it is a PEM
 * CERTIFICATE REQUEST whose signature verifies, else the error text.
 */
export function certificateRequestError(pem: Uint8Array): string | undefined {
  let req: CertificateRequest;
  try {
    req = parseCertificateRequestPem(pem);
  } catch (e) {
    if (e instanceof CsrError || e instanceof Asn1Error) return e.message;
    throw e;
  }
  return checkSignature(req);
}

/**
 * What upstream's validation says of status.certificate: undefined when it holds one or more
 * PEM CERTIFICATE blocks (no headers), each a parseable certificate; else the error text.
 */
export function certificateChainError(pem: Uint8Array): string | undefined {
  if (pem.length === 0) return undefined;
  const blocks = decodeAllPem(Buffer.from(pem).toString('latin1'));
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    if (Object.keys(b.headers).length !== 0) return 'no PEM block headers are permitted';
    try {
      new X509Certificate(b.bytes);
    } catch {
      return 'x509: malformed certificate';
    }
  }
  if (blocks.length === 0) return 'must contain at least one CERTIFICATE PEM block';
  return undefined;
}
