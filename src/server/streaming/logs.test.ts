// Pod logs: file formats, selection (tailLines, since*, limitBytes),
// validation as upstream words it, and the end of a followed stream.

import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { LogLineParser, selectLines, serveLogs, type LogLine } from './logs.ts';
import type { StreamingOptions } from './pod-config.ts';
import { upgradeServer, type UpgradeServer } from './testing.ts';

function pod(annotations: Record<string, string>, containers = ['app']): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u', creationTimestamp: '2024-05-01T10:00:00Z', annotations },
    spec: { containers: containers.map((name) => ({ name, image: `${name}:1` })), initContainers: [{ name: 'setup', image: 'i' }] },
    status: { startTime: '2024-05-01T10:00:01Z' },
  };
}

interface Got {
  status: number;
  body: string;
}

function get(port: number, path: string, onBody?: (chunk: string) => void): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
        onBody?.(c.toString());
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pod logs', () => {
  let srv: UpgradeServer;
  let dir: string;
  let current: KubeObject;
  let options: StreamingOptions = {};
  const finished: Array<Promise<void>> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubevisor-logs-'));
    srv = await upgradeServer(() => undefined, (req, res, url) => {
      const p = serveLogs(req, res, current, url.searchParams, options).catch((e: unknown) => {
        assert.ok(e instanceof ApiError);
        res.writeHead(e.code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(e.toStatus()));
      });
      finished.push(p);
    });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CRI lines: partial lines joined, original timestamps, sinceTime and tailLines', async () => {
    const f = join(dir, 'cri.log');
    writeFileSync(f, [
      '2024-05-01T10:00:00.123456789Z stdout F first',
      '2024-05-01T10:00:01Z stderr P sec',
      '2024-05-01T10:00:01.5Z stderr F ond',
      '2024-05-01T10:00:02Z stdout F third',
      '',
    ].join('\n'));
    current = pod({ 'kubevisor.dev/logs-file': f });
    assert.equal((await get(srv.port, '/log')).body, 'first\nsecond\nthird\n');
    assert.equal((await get(srv.port, '/log?timestamps=true&tailLines=2')).body,
      '2024-05-01T10:00:01Z second\n2024-05-01T10:00:02Z third\n');
    assert.equal((await get(srv.port, '/log?timestamps=1')).body.split('\n')[0], '2024-05-01T10:00:00.123456789Z first');
    assert.equal((await get(srv.port, '/log?sinceTime=2024-05-01T10:00:01Z')).body, 'second\nthird\n');
    assert.equal((await get(srv.port, '/log?sinceSeconds=60')).body, '');
    assert.equal((await get(srv.port, '/log?tailLines=0')).body, '');
    assert.equal((await get(srv.port, '/log?limitBytes=9')).body, 'first\nsec');
  });

  it('Docker json-file lines and plain text; per-container file annotation wins', async () => {
    const json = join(dir, 'docker.log');
    writeFileSync(json, '{"log":"from docker\\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}\n');
    const plain = join(dir, 'plain.log');
    writeFileSync(plain, 'plain one\nplain two (no newline)');
    current = pod({ 'kubevisor.dev/logs-file': plain, 'kubevisor.dev/logs-file.side': json }, ['app', 'side']);
    assert.equal((await get(srv.port, '/log?container=side&timestamps=true')).body, '2024-05-01T10:00:00Z from docker\n');
    assert.equal((await get(srv.port, '/log?container=app')).body, 'plain one\nplain two (no newline)');
  });

  it('generated lines when no file is configured, dated by the container start', async () => {
    current = pod({});
    const r = await get(srv.port, '/log?timestamps=true');
    assert.equal(r.status, 200);
    const lines = r.body.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^2024-05-01T10:00:01\.000Z kubevisor: pod ns\/p is simulated; container "app" \(image app:1\)/);
    assert.match(lines[1]!, /kubevisor\.dev\/logs-file/);
  });

  it('hostAccess=false ignores the file annotation', async () => {
    current = pod({ 'kubevisor.dev/logs-file': '/etc/hostname' });
    options = { hostAccess: false };
    try {
      assert.match((await get(srv.port, '/log')).body, /is simulated/);
    } finally {
      options = {};
    }
  });

  it('refuses as the API server does', async () => {
    current = pod({}, ['a', 'b']);
    const cases: Array<[string, number, RegExp]> = [
      ['/log', 400, /a container name must be specified for pod p, choose one of: \[a b\] or one of the init containers: \[setup\]/],
      ['/log?container=zz', 400, /container zz is not valid for pod p/],
      ['/log?container=a&previous=true', 400, /previous terminated container "a" in pod "p" not found/],
      ['/log?container=a&tailLines=-1', 422, /PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0/],
      ['/log?container=a&limitBytes=0', 422, /limitBytes: Invalid value: 0: must be greater than 0/],
      ['/log?container=a&sinceSeconds=5&sinceTime=2024-05-01T10:00:00Z', 422, /at most one of `sinceTime` or `sinceSeconds`/],
      ['/log?container=a&tailLines=ten', 400, /tailLines/],
      ['/log?container=a&sinceTime=yesterday', 400, /sinceTime/],
    ];
    for (const [path, status, message] of cases) {
      const r = await get(srv.port, path);
      assert.equal(r.status, status, path);
      assert.match((JSON.parse(r.body) as { message: string }).message, message, path);
    }
    current = pod({ 'kubevisor.dev/logs-file': join(dir, 'missing.log') });
    const missing = await get(srv.port, '/log');
    assert.equal(missing.status, 500);
    assert.match((JSON.parse(missing.body) as { message: string }).message,
      /^cannot read the log of container "app" in pod ns\/p from \/.*missing\.log \(annotation kubevisor\.dev\/logs-file\): no such file$/);
  });

  it('follow: appended lines (partial ones held back), truncation, and the end when the pod is deleted', async () => {
    const f = join(dir, 'follow.log');
    writeFileSync(f, 'old\n');
    current = pod({ 'kubevisor.dev/logs-file': f });
    let onDeleted: (() => void) | undefined;
    options = { onPodDeleted: (l) => { onDeleted = l; return () => { onDeleted = undefined; }; } };
    let seen = '';
    let wake: (() => void) | undefined;
    const waitFor = async (text: string): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!seen.includes(text)) {
        assert.ok(Date.now() < deadline, `never saw ${JSON.stringify(text)} in ${JSON.stringify(seen)}`);
        await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
      }
    };
    const done = get(srv.port, '/log?follow=true', (c) => { seen += c; wake?.(); });
    try {
      await waitFor('old\n');
      appendFileSync(f, 'new one\nhalf');
      await waitFor('new one\n');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(seen, 'old\nnew one\n');
      appendFileSync(f, ' done\n');
      await waitFor('half done\n');
      writeFileSync(f, 'rotated\n');
      await waitFor('rotated\n');
      assert.ok(onDeleted);
      onDeleted();
      const r = await done;
      assert.equal(r.body, 'old\nnew one\nhalf done\nrotated\n');
    } finally {
      options = {};
    }
  });

  it('follow: a client that goes away ends the handler', async () => {
    current = pod({});
    const before = finished.length;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: srv.port, path: '/log?follow=true', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    await finished[before];
  });

  it('line parsing and selection helpers', () => {
    const p = new LogLineParser();
    assert.equal(p.parse(Buffer.from('2024-05-01T10:00:00+02:00 stdout P a'), 0), undefined);
    const joined = p.parse(Buffer.from('2024-05-01T10:00:00+02:00 stdout F b'), 0) as LogLine;
    assert.equal(joined.text.toString(), 'ab\n');
    assert.equal(joined.time, Date.parse('2024-05-01T08:00:00Z'));
    const empty = p.parse(Buffer.from('2024-05-01T10:00:00Z stdout F'), 0) as LogLine;
    assert.equal(empty.text.toString(), '\n');
    const lines: LogLine[] = [1, 2, 3, 4].map((t) => ({ time: t, stamp: String(t), text: Buffer.from(`${t}\n`) }));
    assert.deepEqual(selectLines(lines, 2, undefined).map((l) => l.time), [3, 4]);
    assert.deepEqual(selectLines(lines, 3, 3).map((l) => l.time), [3, 4]);
  });
});
