// Issuing X.509 v3 certificates with ECDSA P-256 keys, using only node:crypto
// for the keys and signatures and ./der.ts for the encoding.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as der from './der.ts';
import { ipAddressOctets } from './ip-address.ts';
import { bitStringBytes, childrenOf, readOnly } from '../../api/x509/der.ts';

export interface DistinguishedName {
  readonly commonName: string;
  /** O attributes, in order; Kubernetes reads them as group names. */
  readonly organizations?: readonly string[];
}

export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

/** keyUsage bits a certificate may carry (RFC 5280 §4.2.1.3). */
export type KeyUsage = 'digitalSignature' | 'contentCommitment' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' |
  'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** Who signs: the issuer's name and key pair (the subject's own, for a self-signed certificate). */
export interface Signer extends KeyPair {
  readonly name: DistinguishedName;
}

export interface CertificateTemplate {
  readonly subject: DistinguishedName;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA may sign certificates; anything else is an end entity. */
  readonly isCA?: boolean;
  readonly extendedKeyUsages?: readonly ExtendedKeyUsage[];
  /** DNS names and IP addresses for the subjectAltName extension. */
  readonly hosts?: readonly string[];
  /** The subject as DER, used as it is instead of `subject` (a signed request's). */
  readonly rawSubject?: Uint8Array;
  /** GeneralName encodings for the subjectAltName extension, used as they are (instead of `hosts`). */
  readonly rawSubjectAltNames?: readonly Uint8Array[];
  /**
   * The keyUsage bits; none: no keyUsage extension. Default: digitalSignature, and
   * keyCertSign and cRLSign for a CA.
   */
  readonly keyUsages?: readonly KeyUsage[];
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// keyUsage bit numbers (RFC 5280 §4.2.1.3).
const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 0, contentCommitment: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4,
  keyCertSign: 5, cRLSign: 6, encipherOnly: 7, decipherOnly: 8,
};

export function newKeyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function encodeName(name: DistinguishedName): Buffer {
  const attribute = (oid: string, value: string) =>
    der.setOf(der.sequence(der.objectIdentifier(oid), der.utf8String(value)));
  const rdns = (name.organizations ?? []).map((o) => attribute(OID.organization, o));
  rdns.push(attribute(OID.commonName, name.commonName));
  return der.sequence(...rdns);
}

/**
 * RFC 5280 key identifier: SHA-1 of the subjectPublicKey BIT STRING's bits. A P-256 key's
 * SPKI (91 bytes) ends with its BIT STRING: no unused bits, then the 65-byte uncompressed
 * point; any other key's SPKI is read.
 */
function keyIdentifier(spki: Buffer): Buffer {
  if (spki.length === 91 && spki[23] === 0x03 && spki[25] === 0x00 && spki[26] === 0x04) {
    return createHash('sha1').update(spki.subarray(26)).digest();
  }
  const key = childrenOf(readOnly(spki))[1];
  if (!key) throw new Error('malformed public key');
  return createHash('sha1').update(bitStringBytes(key)).digest();
}

/** The SPKI and key identifier of an issuer's key, worked out once per key. */
const issuerIds = new WeakMap<KeyObject, Buffer>();
function issuerKeyIdentifier(publicKey: KeyObject): Buffer {
  let id = issuerIds.get(publicKey);
  if (!id) issuerIds.set(publicKey, (id = keyIdentifier(publicKey.export({ type: 'spki', format: 'der' }))));
  return id;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.objectIdentifier(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.objectIdentifier(oid), der.octetString(value));
}

function subjectAltName(hosts: readonly string[]): Buffer {
  const names = hosts.map((host) => {
    const ip = ipAddressOctets(host);
    if (ip) return der.implicitPrimitive(7, ip);
    if (!/^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/.test(host)) throw new Error(`not a host name or IP address: ${JSON.stringify(host)}`);
    return der.implicitPrimitive(2, Buffer.from(host.toLowerCase(), 'ascii'));
  });
  return der.sequence(...names);
}

/** A positive serial number of up to 128 bits. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return der.unsignedInteger(bytes);
}

/** Build and sign a certificate; returns it in PEM. */
export function issueCertificate(template: CertificateTemplate, signer: Signer): string {
  const algorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const spki = template.publicKey.export({ type: 'spki', format: 'der' });
  const subjectKeyId = keyIdentifier(spki);
  const selfSigned = template.publicKey.equals(signer.publicKey);

  const extensions: Buffer[] = [];
  extensions.push(
    extension(OID.basicConstraints, true, template.isCA ? der.sequence(der.boolean(true)) : der.sequence()),
  );
  const keyUsages: readonly KeyUsage[] = template.keyUsages ?? (template.isCA ? ['digitalSignature', 'keyCertSign', 'cRLSign'] : ['digitalSignature']);
  if (keyUsages.length > 0) {
    extensions.push(extension(OID.keyUsage, true, der.namedBits(keyUsages.map((u) => KEY_USAGE_BITS[u]))));
  }
  if (template.extendedKeyUsages && template.extendedKeyUsages.length > 0) {
    extensions.push(
      extension(
        OID.extKeyUsage,
        false,
        der.sequence(...template.extendedKeyUsages.map((usage) => der.objectIdentifier(OID[usage]))),
      ),
    );
  }
  if (template.rawSubjectAltNames !== undefined) {
    if (template.rawSubjectAltNames.length > 0) extensions.push(extension(OID.subjectAltName, false, der.sequence(...template.rawSubjectAltNames)));
  } else if (template.hosts && template.hosts.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, subjectAltName(template.hosts)));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(subjectKeyId)));
  if (!selfSigned) {
    const authorityKeyId = issuerKeyIdentifier(signer.publicKey);
    extensions.push(
      extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, authorityKeyId))),
    );
  }

  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    serialNumber(),
    algorithm,
    encodeName(signer.name),
    der.sequence(der.time(template.notBefore), der.time(template.notAfter)),
    template.rawSubject !== undefined ? Buffer.from(template.rawSubject) : encodeName(template.subject),
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: signer.privateKey, dsaEncoding: 'der' });
  return der.toPem('CERTIFICATE', der.sequence(tbs, algorithm, der.bitString(signature)));
}
