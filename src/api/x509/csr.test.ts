import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCsr } from '../../../test/support/csr.ts';
import { certificateChainError, certificateRequestError, checkSignature, parseCertificateRequestPem, PEM_TYPE_ERROR } from './csr.ts';
import { decodeAllPem, decodePem } from './pem.ts';

test('an EC, RSA or Ed25519 request parses and its signature verifies', () => {
  for (const keyType of ['ec', 'rsa', 'ed25519'] as const) {
    const csr = makeCsr({ keyType, commonName: 'jane', organizations: ['dev', 'ops'] });
    const req = parseCertificateRequestPem(Buffer.from(csr.csrPem));
    assert.equal(req.commonName, 'jane');
    assert.deepEqual(req.organizations, ['dev', 'ops']);
    assert.ok(req.publicKey.equals(csr.publicKey), keyType);
    assert.equal(checkSignature(req), undefined, keyType);
    assert.equal(certificateRequestError(Buffer.from(csr.csrPem)), undefined);
  }
});

test('a tampered signature fails with Go\'s words', () => {
  assert.equal(certificateRequestError(Buffer.from(makeCsr({ commonName: 'x', badSignature: true }).csrPem)), 'x509: ECDSA verification failure');
  assert.equal(certificateRequestError(Buffer.from(makeCsr({ keyType: 'rsa', commonName: 'x', badSignature: true }).csrPem)), 'crypto/rsa: verification error');
  assert.equal(certificateRequestError(Buffer.from(makeCsr({ keyType: 'ed25519', commonName: 'x', badSignature: true }).csrPem)), 'x509: Ed25519 verification failure');
});

test('anything but a CERTIFICATE REQUEST first is refused', () => {
  const csr = makeCsr({ commonName: 'x' });
  assert.equal(certificateRequestError(Buffer.from('')), PEM_TYPE_ERROR);
  assert.equal(certificateRequestError(Buffer.from('not pem at all')), PEM_TYPE_ERROR);
  assert.equal(certificateRequestError(Buffer.from(csr.keyPem + csr.csrPem)), PEM_TYPE_ERROR);
  assert.equal(certificateRequestError(Buffer.from(csr.csrPem.replaceAll('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'))), PEM_TYPE_ERROR);
  // Text before the block is skipped, as Go's pem.Decode does; a malformed block is passed over.
  assert.equal(certificateRequestError(Buffer.from(`hello\n${csr.csrPem}`)), undefined);
  assert.equal(certificateRequestError(Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n${csr.csrPem}`)), undefined);
  // A block of the right type whose contents are not a request.
  assert.match(certificateRequestError(Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n')) ?? '', /^asn1: /);
});

test('subjectAltNames of the extensionRequest attribute are read', () => {
  const csr = makeCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1.example.com'], ipAddresses: ['10.0.0.1', 'fd00::1'], emailAddresses: ['a@b.c'], uris: ['spiffe://x/y'] });
  const req = parseCertificateRequestPem(Buffer.from(csr.csrPem));
  assert.deepEqual(req.dnsNames, ['n1.example.com']);
  assert.deepEqual(req.ipAddresses, ['10.0.0.1', 'fd00:0:0:0:0:0:0:1']);
  assert.deepEqual(req.emailAddresses, ['a@b.c']);
  assert.deepEqual(req.uris, ['spiffe://x/y']);
  assert.equal(req.subjectAltNames.length, 5);
  assert.equal(checkSignature(req), undefined);
});

test('a request openssl made parses the same', (t) => {
  let dir = '';
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    t.skip('no openssl');
    return;
  }
  try {
    dir = mkdtempSync(join(tmpdir(), 'csr-test-'));
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'r.csr'),
      '-subj', '/O=dev/O=qa/CN=alice', '-addext', 'subjectAltName=DNS:alice.example.com,IP:192.0.2.7'], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'r.csr'));
    const req = parseCertificateRequestPem(pem);
    assert.equal(req.commonName, 'alice');
    assert.deepEqual(req.organizations, ['dev', 'qa']);
    assert.deepEqual(req.dnsNames, ['alice.example.com']);
    assert.deepEqual(req.ipAddresses, ['192.0.2.7']);
    assert.equal(checkSignature(req), undefined);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

test('PEM decoding follows Go: headers, trailing text, several blocks', () => {
  const body = Buffer.from('hello').toString('base64');
  const r = decodePem(`junk\n-----BEGIN THING-----\nA: b\n\n${body}\n-----END THING-----\ntail`);
  assert.equal(r?.block.type, 'THING');
  assert.deepEqual(r?.block.headers, { A: 'b' });
  assert.equal(r?.block.bytes.toString(), 'hello');
  assert.equal(decodePem('-----BEGIN THING-----\naGVsbG8=\n-----END OTHER-----\n'), undefined);
  assert.equal(decodeAllPem(`-----BEGIN A-----\n${body}\n-----END A-----\n-----BEGIN B-----\n${body}\n-----END B-----\n`).length, 2);
});

test('status.certificate must be CERTIFICATE blocks without headers', () => {
  const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  assert.equal(certificateChainError(Buffer.alloc(0)), undefined);
  assert.equal(certificateChainError(Buffer.from('text only')), 'must contain at least one CERTIFICATE PEM block');
  assert.equal(certificateChainError(Buffer.from(makeCsr({ commonName: 'x' }).csrPem)), 'only CERTIFICATE PEM blocks are allowed, found "CERTIFICATE REQUEST"');
  assert.equal(certificateChainError(Buffer.from('-----BEGIN CERTIFICATE-----\nA: b\n\nMIIB\n-----END CERTIFICATE-----\n')), 'no PEM block headers are permitted');
  assert.equal(certificateChainError(Buffer.from(cert)), 'x509: malformed certificate');
});
