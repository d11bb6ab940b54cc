// The thread behind ClusterKits (cluster-kits.ts): it makes new clusters' directories,
// credentials and database files, with key pairs, uids and filled database images made
// ahead while it is idle, so the server's main thread does none of that work.
import { parentPort, workerData } from 'node:worker_threads';
import { X509Certificate, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fillSqliteTemplate, writeMark, type SqliteTemplate } from '../../storage/sqlite-template.ts';
import { newUid, nowTimestamp } from '../../registry/generic/metadata.ts';
import { hashToken, newAdminToken } from '../pki/admin-token.ts';
import { privateKeyPem } from '../pki/certificate.ts';
import { nameOf } from '../pki/pki.ts';
import { placeNewFileSync } from '../pki/private-file.ts';
import { credentialsFileText, issueAdminCertificate, issueClusterCA, type RootClientCA } from './cluster-pki.ts';
import type { KitReply, KitRequest } from './cluster-kits.ts';

/** Kits kept made ahead. */
const AHEAD = 4;

interface Ahead {
  readonly ca: { publicKey: KeyObject; privateKey: KeyObject; pem: string };
  readonly admin: { publicKey: KeyObject; pem: string };
  readonly token: string;
  /** The template's file with this kit's uids in place (the time goes in when used). */
  readonly db: { template: number; uids: string[]; file: Buffer } | undefined;
}

const root = workerData as RootClientCA;
let template: { id: number; t: SqliteTemplate } | undefined;
const ahead: Ahead[] = [];

function keyPair(): { publicKey: KeyObject; privateKey: KeyObject; pem: string } {
  const k = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { ...k, pem: privateKeyPem(k.privateKey) };
}

function makeAhead(): Ahead {
  const ca = keyPair();
  const admin = keyPair();
  let db: Ahead['db'];
  if (template) {
    const uids = Array.from({ length: template.t.marks.length - 1 }, () => newUid());
    // The time mark keeps its own text until the kit is used.
    db = { template: template.id, uids, file: fillSqliteTemplate(template.t, [...uids, template.t.marks[template.t.marks.length - 1]]) };
  }
  return { ca, admin: { publicKey: admin.publicKey, pem: admin.pem }, token: newAdminToken(), db };
}

let refilling = false;
function refill(): void {
  if (refilling) return;
  refilling = true;
  setImmediate(function step() {
    if (ahead.length >= AHEAD) { refilling = false; return; }
    ahead.push(makeAhead());
    setImmediate(step);
  });
}

function make(req: Extract<KitRequest, { type: 'make' }>): KitReply {
  try {
    mkdirSync(req.dir, { mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return { id: req.id, made: false };
    if (code !== 'ENOENT') throw e;
    mkdirSync(dirname(req.dir), { recursive: true, mode: 0o700 });
    return make(req);
  }
  let kit = ahead.shift();
  if (kit?.db && kit.db.template !== template?.id) kit = undefined;
  kit ??= makeAhead();
  refill();
  const now = Date.now();
  const caCertPem = issueClusterCA(req.cluster, kit.ca.publicKey, root, now);
  const caCert = new X509Certificate(caCertPem);
  const leaf = issueAdminCertificate(kit.admin.publicKey, { name: nameOf(caCert), privateKey: kit.ca.privateKey, publicKey: kit.ca.publicKey }, caCert.validToDate.getTime(), now);
  writeFileSync(join(req.dir, 'credentials.pem'), credentialsFileText(caCertPem, kit.ca.pem, [hashToken(kit.token)]), { mode: 0o600 });
  let db: Extract<KitReply, { made: true }>['db'];
  if (kit.db && template && req.template === kit.db.template) {
    const time = nowTimestamp(new Date(now));
    // Only the time mark is left to fill: every other place holds this kit's uid already.
    const filled = kit.db.file;
    writeMark(filled, template.t, template.t.marks.length - 1, time);
    // Never over a database put there meanwhile (a restore into the new cluster). The
    // store's empty WAL file is made here too, so opening the store on the main thread
    // creates no file (an empty WAL is no WAL to SQLite).
    const path = join(req.dir, 'state.db');
    if (placeNewFileSync(path, filled)) {
      writeFileSync(`${path}-wal`, '', { mode: 0o600, flag: 'a' });
      db = { uids: kit.db.uids, time, template: kit.db.template };
    }
  }
  return {
    id: req.id, made: true, caCertPem, caKeyPem: kit.ca.pem,
    admin: { certChainPem: leaf + caCertPem, keyPem: kit.admin.pem, token: kit.token }, db,
  };
}

parentPort?.on('message', (req: KitRequest) => {
  if (req.type === 'template') {
    template = req.template ? { id: req.id, t: req.template } : undefined;
    // Kits made for another template keep their keys; their database is made again.
    for (let i = 0; i < ahead.length; i++) if (ahead[i].db?.template !== template?.id) ahead.splice(i--, 1);
    refill();
    return;
  }
  let reply: KitReply;
  try {
    reply = make(req);
  } catch (e) {
    reply = { id: req.id, error: (e as Error).message };
  }
  parentPort?.postMessage(reply);
});

// Make sure the root's key parses here before any request needs it.
createPrivateKey(root.keyPem);
refill();
