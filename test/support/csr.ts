// PKCS#10 certificate signing requests made with node:crypto, for tests: a key
// pair and a PEM CERTIFICATE REQUEST with the subject and subjectAltNames asked for.

import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import * as der from '../../src/server/pki/der.ts';

export interface CsrOptions {
  commonName?: string;
  organizations?: string[];
  keyType?: 'ec' | 'rsa' | 'ed25519';
  dnsNames?: string[];
  ipAddresses?: string[];
  emailAddresses?: string[];
  uris?: string[];
  /** Flip a bit of the signature. */
  badSignature?: boolean;
}

export interface Csr {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyPem: string;
  csrPem: string;
  /** The PEM, base64-encoded, as spec.request carries it. */
  request: string;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ed25519: '1.3.101.112',
};

function ipOctets(ip: string): Buffer {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return b;
  }
  return Buffer.from(ip.split('.').map(Number));
}

export function makeCsr(opts: CsrOptions = {}): Csr {
  const keyType = opts.keyType ?? 'ec';
  const { privateKey, publicKey } = keyType === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    : keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const attr = (oid: string, value: string) => der.setOf(der.sequence(der.objectIdentifier(oid), der.utf8String(value)));
  const rdns = (opts.organizations ?? []).map((o) => attr(OID.organization, o));
  if (opts.commonName !== undefined) rdns.push(attr(OID.commonName, opts.commonName));
  const names = [
    ...(opts.emailAddresses ?? []).map((e) => der.implicitPrimitive(1, Buffer.from(e, 'ascii'))),
    ...(opts.dnsNames ?? []).map((d) => der.implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...(opts.uris ?? []).map((u) => der.implicitPrimitive(6, Buffer.from(u, 'ascii'))),
    ...(opts.ipAddresses ?? []).map((ip) => der.implicitPrimitive(7, ipOctets(ip))),
  ];
  const attributes = names.length === 0 ? [] : [der.sequence(
    der.objectIdentifier(OID.extensionRequest),
    der.setOf(der.sequence(der.sequence(der.objectIdentifier(OID.subjectAltName), der.octetString(der.sequence(...names))))),
  )];
  const info = der.sequence(
    der.smallInteger(0),
    der.sequence(...rdns),
    publicKey.export({ type: 'spki', format: 'der' }),
    der.tlv(0xa0, ...attributes),
  );
  let algorithm: Buffer;
  let signature: Buffer;
  if (keyType === 'ec') {
    algorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSHA256));
    signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  } else if (keyType === 'rsa') {
    algorithm = der.sequence(der.objectIdentifier(OID.sha256WithRSA), der.tlv(0x05));
    signature = sign('sha256', info, privateKey);
  } else {
    algorithm = der.sequence(der.objectIdentifier(OID.ed25519));
    signature = sign(null, info, privateKey);
  }
  if (opts.badSignature) signature[signature.length - 1] = signature[signature.length - 1]! ^ 0x01;
  const csrPem = der.toPem('CERTIFICATE REQUEST', der.sequence(info, algorithm, der.bitString(signature)));
  return {
    privateKey, publicKey, csrPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    request: Buffer.from(csrPem).toString('base64'),
  };
}
