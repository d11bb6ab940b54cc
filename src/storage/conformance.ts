// The behaviour every KVStore backend must share, as node:test tests. A backend's
// test file calls runConformance with a factory for fresh, empty-keyspace stores.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CompactedError,
  FutureRevisionError,
  type KeyValue,
  type KVStore,
  type WatchEvent,
  type Watcher,
  type WriteResult,
} from './types.ts';

export interface StoreFixture {
  store: KVStore;
  cleanup(): Promise<void>;
}

/** Records what a watch delivers and lets a test wait for a condition on it. */
class Recorder {
  readonly events: WatchEvent[] = [];
  readonly batches: (readonly WatchEvent[])[] = [];
  readonly errors: Error[] = [];
  #waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly callbacks = {
    onEvents: (events: readonly WatchEvent[]) => {
      this.batches.push(events);
      this.events.push(...events);
      this.#wake();
    },
    onError: (err: Error) => {
      this.errors.push(err);
      this.#wake();
    },
  };

  /** Resolve once `check()` holds; fail after `ms` with `what` in the message. */
  until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for ${what}; got ${this.events.length} events, errors: ${this.errors.map(String).join('; ')}`));
      }, ms);
      const waiter = { check, resolve: () => { clearTimeout(timer); resolve(); } };
      this.#waiters.push(waiter);
    });
  }

  untilEvents(n: number): Promise<void> {
    return this.until(`${n} events`, () => this.events.length >= n || this.errors.length > 0).then(() => {
      assert.deepEqual(this.errors, [], 'watch failed');
    });
  }

  untilError(): Promise<Error> {
    return this.until('an error', () => this.errors.length > 0).then(() => this.errors[0]!);
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}

function succeeded(res: WriteResult): KeyValue {
  assert.equal(res.succeeded, true, `expected the write to succeed: ${JSON.stringify(res)}`);
  if (!res.succeeded) throw new Error('unreachable');
  return res.kv;
}

function kv(key: string, value: string, createRevision: number, modRevision: number): KeyValue {
  return { key, value, createRevision, modRevision };
}

function keysOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((k) => k.key);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function revisionsFrom(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Time for anything wrongly still in flight to arrive. */
const settle = (ms = 100) => new Promise((resolve) => setTimeout(resolve, ms));

export function runConformance(name: string, makeStore: () => Promise<StoreFixture>): void {
  async function withStore(fn: (store: KVStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await makeStore();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  }

  describe(`${name}: KVStore conformance`, () => {
    test('each write advances the revision by exactly one', () => withStore(async (s) => {
      const r0 = await s.revision();
      const created = await s.create('/k', 'v1');
      assert.equal(created.revision, r0 + 1);
      assert.deepEqual(succeeded(created), kv('/k', 'v1', r0 + 1, r0 + 1));
      assert.deepEqual(await s.get('/k'), { kv: kv('/k', 'v1', r0 + 1, r0 + 1), revision: r0 + 1 });

      const updated = await s.update('/k', 'v2', r0 + 1);
      assert.equal(updated.revision, r0 + 2);
      assert.deepEqual(succeeded(updated), kv('/k', 'v2', r0 + 1, r0 + 2));

      // A successful delete reports the last value at the delete's revision.
      const deleted = await s.delete('/k', r0 + 2);
      assert.equal(deleted.revision, r0 + 3);
      assert.deepEqual(succeeded(deleted), kv('/k', 'v2', r0 + 1, r0 + 3));
      assert.deepEqual(await s.get('/k'), { kv: undefined, revision: r0 + 3 });

      const recreated = await s.create('/k', 'v3');
      assert.deepEqual(succeeded(recreated), kv('/k', 'v3', r0 + 4, r0 + 4));
      assert.equal(await s.revision(), r0 + 4);
    }));

    test('create fails on an existing key and changes nothing', () => withStore(async (s) => {
      const first = succeeded(await s.create('/c', 'one'));
      const r = await s.revision();
      const again = await s.create('/c', 'two');
      assert.deepEqual(again, { succeeded: false, revision: r, current: first });
      assert.equal(await s.revision(), r);
      assert.deepEqual((await s.get('/c')).kv, first);
    }));

    test('update with a stale modRevision, or of an absent key, fails and changes nothing', () => withStore(async (s) => {
      const v1 = succeeded(await s.create('/u', 'v1'));
      const v2 = succeeded(await s.update('/u', 'v2', v1.modRevision));
      const r = await s.revision();

      assert.deepEqual(await s.update('/u', 'stale', v1.modRevision), { succeeded: false, revision: r, current: v2 });
      assert.deepEqual(await s.update('/u', 'ahead', v2.modRevision + 5), { succeeded: false, revision: r, current: v2 });
      assert.deepEqual(await s.update('/absent', 'x', 0), { succeeded: false, revision: r, current: undefined });
      assert.deepEqual(await s.update('/absent', 'x', v2.modRevision), { succeeded: false, revision: r, current: undefined });
      assert.equal(await s.revision(), r);
      assert.deepEqual((await s.get('/u')).kv, v2);
      assert.equal((await s.get('/absent')).kv, undefined);

      succeeded(await s.delete('/u'));
      const r2 = await s.revision();
      assert.deepEqual(await s.update('/u', 'gone', v2.modRevision), { succeeded: false, revision: r2, current: undefined });
      assert.equal(await s.revision(), r2);
    }));

    test('delete with a stale modRevision, or of an absent key, fails and changes nothing', () => withStore(async (s) => {
      const v1 = succeeded(await s.create('/d', 'v1'));
      const v2 = succeeded(await s.update('/d', 'v2', v1.modRevision));
      const r = await s.revision();

      assert.deepEqual(await s.delete('/d', v1.modRevision), { succeeded: false, revision: r, current: v2 });
      assert.deepEqual(await s.delete('/nothing'), { succeeded: false, revision: r, current: undefined });
      assert.deepEqual(await s.delete('/nothing', 3), { succeeded: false, revision: r, current: undefined });
      assert.equal(await s.revision(), r);
      assert.deepEqual((await s.get('/d')).kv, v2);

      assert.deepEqual(succeeded(await s.delete('/d')), kv('/d', 'v2', v1.createRevision, r + 1));
      assert.deepEqual(await s.delete('/d'), { succeeded: false, revision: r + 1, current: undefined });
      assert.equal(await s.revision(), r + 1);
    }));

    test('range returns exactly the keys under the prefix, in byte order', () => withStore(async (s) => {
      const all = ['/a', '/a/', '/a/x', '/a/b/c', '/a/Z', '/a/~', '/a/\u00e9', '/a/\u{1F600}', '/a0', '/ab', '/ab/1', '/a.', '/b/1', '/gone/1'];
      for (const key of all) succeeded(await s.create(key, `value of ${key}`));
      succeeded(await s.delete('/gone/1'));
      const r = await s.revision();

      const underA = all.filter((k) => k.startsWith('/a/')).sort(byteOrder);
      const res = await s.range('/a/');
      assert.deepEqual(keysOf(res.kvs), underA);
      assert.equal(res.kvs[0]!.value, `value of ${underA[0]}`);
      assert.equal(res.count, underA.length);
      assert.equal(res.more, false);
      assert.equal(res.revision, r);

      assert.deepEqual(keysOf((await s.range('/ab')).kvs), ['/ab', '/ab/1']);
      assert.deepEqual(keysOf((await s.range('/a/b/c')).kvs), ['/a/b/c']);
      assert.deepEqual(await s.range('/zzz/'), { kvs: [], more: false, count: 0, revision: r });
      assert.deepEqual(await s.range('/gone/'), { kvs: [], more: false, count: 0, revision: r });
      const everything = await s.range('');
      assert.deepEqual(keysOf(everything.kvs), all.filter((k) => k !== '/gone/1').sort(byteOrder));
    }));

    test('range pages with limit and startKey through every key', () => withStore(async (s) => {
      const keys = Array.from({ length: 25 }, (_, i) => `/p/k${String(i).padStart(2, '0')}`);
      for (const key of keys) succeeded(await s.create(key, key));
      succeeded(await s.create('/p', 'outside'));
      succeeded(await s.create('/q/1', 'outside'));

      const first = await s.range('/p/', { limit: 7 });
      // Later pages read at the first page's revision, so a write in between is not seen.
      succeeded(await s.create('/p/k99', 'late'));
      const pages = [first];
      while (pages[pages.length - 1]!.more) {
        const last = pages[pages.length - 1]!;
        const startKey = last.kvs[last.kvs.length - 1]!.key + '\0';
        pages.push(await s.range('/p/', { limit: 7, startKey, revision: first.revision }));
      }
      assert.deepEqual(pages.map((p) => p.kvs.length), [7, 7, 7, 4]);
      assert.deepEqual(pages.map((p) => p.count), [25, 18, 11, 4]);
      assert.deepEqual(pages.map((p) => p.more), [true, true, true, false]);
      assert.deepEqual(pages.map((p) => p.revision), [first.revision, first.revision, first.revision, first.revision]);
      assert.deepEqual(pages.flatMap((p) => keysOf(p.kvs)), keys);

      const fresh = await s.range('/p/', { startKey: '/p/k24' });
      assert.deepEqual(keysOf(fresh.kvs), ['/p/k24', '/p/k99']);
      assert.equal(fresh.count, 2);
      const roomy = await s.range('/p/', { limit: 100 });
      assert.equal(roomy.kvs.length, 26);
      assert.equal(roomy.more, false);
      assert.equal(roomy.count, 26);
      assert.equal((await s.range('/p/', { limit: 0 })).kvs.length, 26);
    }));

    test('range at a past revision shows the store as it was then', () => withStore(async (s) => {
      succeeded(await s.create('/elsewhere', 'so that the history below starts above revision 1'));
      const a1 = succeeded(await s.create('/h/a', 'a1'));
      const a2 = succeeded(await s.update('/h/a', 'a2', a1.modRevision));
      const b = succeeded(await s.create('/h/b', 'b'));
      const del = succeeded(await s.delete('/h/a'));
      const c = succeeded(await s.create('/h/c', 'c'));

      const at = async (revision: number) => {
        const res = await s.range('/h/', { revision });
        assert.equal(res.revision, revision);
        return res.kvs;
      };
      assert.deepEqual(await at(a1.modRevision), [a1]);
      assert.deepEqual(await at(a2.modRevision), [a2]);
      assert.deepEqual(await at(b.modRevision), [a2, b]);
      assert.deepEqual(await at(del.modRevision), [b]);
      assert.deepEqual(await at(c.modRevision), [b, c]);
      assert.deepEqual(await at(a1.modRevision - 1), []);
      const page = await s.range('/h/', { revision: b.modRevision, limit: 1 });
      assert.deepEqual([page.kvs, page.more, page.count], [[a2], true, 2]);

      const current = await s.revision();
      await assert.rejects(s.range('/h/', { revision: current + 10 }), FutureRevisionError);
    }));

    test('watch from an old revision replays history, then continues live', () => withStore(async (s) => {
      const a1 = succeeded(await s.create('/w/a', 'v1'));
      const a2 = succeeded(await s.update('/w/a', 'v2', a1.modRevision));
      succeeded(await s.create('/x/other', 'not watched'));
      const del = succeeded(await s.delete('/w/a'));
      const b1 = succeeded(await s.create('/w/b', 'b1'));

      const rec = new Recorder();
      const w = s.watch('/w/', a1.modRevision, rec.callbacks);
      try {
        await rec.untilEvents(4);
        const b2 = succeeded(await s.update('/w/b', 'b2', b1.modRevision));
        succeeded(await s.create('/x/more', 'not watched'));
        const c = succeeded(await s.create('/w/c', 'c'));
        await rec.untilEvents(6);
        await settle(50);
        assert.deepEqual(rec.events, [
          { type: 'put', kv: a1, prevKv: undefined },
          { type: 'put', kv: a2, prevKv: a1 },
          { type: 'delete', kv: kv('/w/a', 'v2', a1.createRevision, del.modRevision), prevKv: a2 },
          { type: 'put', kv: b1, prevKv: undefined },
          { type: 'put', kv: b2, prevKv: b1 },
          { type: 'put', kv: c, prevKv: undefined },
        ]);
        assert.deepEqual(rec.errors, []);
      } finally {
        w.cancel();
      }

      // From a revision in the middle of the history.
      const mid = new Recorder();
      const w2 = s.watch('/w/', del.modRevision, mid.callbacks);
      try {
        await mid.untilEvents(4);
        assert.deepEqual(mid.events.map((e) => [e.type, e.kv.key]), [['delete', '/w/a'], ['put', '/w/b'], ['put', '/w/b'], ['put', '/w/c']]);
      } finally {
        w2.cancel();
      }
    }));

    test('watch from current revision + 1 sees only new events', () => withStore(async (s) => {
      succeeded(await s.create('/n/old', 'old'));
      const rec = new Recorder();
      const w = s.watch('/n/', (await s.revision()) + 1, rec.callbacks);
      try {
        const fresh = succeeded(await s.create('/n/new', 'new'));
        await rec.untilEvents(1);
        await settle(50);
        assert.deepEqual(rec.events, [{ type: 'put', kv: fresh, prevKv: undefined }]);
      } finally {
        w.cancel();
      }
    }));

    test('watch from a future revision starts there', () => withStore(async (s) => {
      const start = (await s.revision()) + 3;
      const rec = new Recorder();
      const w = s.watch('/f/', start, rec.callbacks);
      try {
        const written: KeyValue[] = [];
        for (let i = 0; i < 4; i++) written.push(succeeded(await s.create(`/f/${i}`, 'v')));
        await rec.untilEvents(2);
        await settle(50);
        assert.deepEqual(rec.events.map((e) => e.kv), written.slice(2));
      } finally {
        w.cancel();
      }
    }));

    test('watchers on different prefixes see only their own keys', () => withStore(async (s) => {
      const start = (await s.revision()) + 1;
      const left = new Recorder();
      const right = new Recorder();
      const wl = s.watch('/left/', start, left.callbacks);
      const wr = s.watch('/right/', start, right.callbacks);
      try {
        for (const key of ['/left/1', '/right/1', '/leftover', '/left/2', '/right/2']) succeeded(await s.create(key, 'v'));
        await Promise.all([left.untilEvents(2), right.untilEvents(2)]);
        await settle(50);
        assert.deepEqual(keysOf(left.events.map((e) => e.kv)), ['/left/1', '/left/2']);
        assert.deepEqual(keysOf(right.events.map((e) => e.kv)), ['/right/1', '/right/2']);
      } finally {
        wl.cancel();
        wr.cancel();
      }
    }));

    test('cancel stops delivery and is idempotent', () => withStore(async (s) => {
      const start = (await s.revision()) + 1;
      const cancelled = new Recorder();
      const early = new Recorder();
      const witness = new Recorder();
      const wc = s.watch('/z/', start, cancelled.callbacks);
      const we = s.watch('/z/', start, early.callbacks);
      const ww = s.watch('/z/', start, witness.callbacks);
      try {
        wc.cancel();
        wc.cancel();
        succeeded(await s.create('/z/1', 'one'));
        await early.untilEvents(1);
        we.cancel();
        succeeded(await s.create('/z/2', 'two'));
        await witness.untilEvents(2);
        await settle();
        we.cancel();
        assert.equal(cancelled.events.length, 0);
        assert.deepEqual(keysOf(early.events.map((e) => e.kv)), ['/z/1']);
        assert.deepEqual([...cancelled.errors, ...early.errors], []);
      } finally {
        ww.cancel();
      }
    }));

    test('writes made while a replay runs are delivered once each, in revision order', () => withStore(async (s) => {
      // More history than one replay step of the sqlite backend.
      const first = (await s.revision()) + 1;
      for (let i = 0; i < 1200; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => s.create(`/r/${i + j}`, 'x')));
      }
      const rec = new Recorder();
      const writes: Promise<WriteResult>[] = [];
      let wroteDuringDelivery = false;
      const w = s.watch('/r/', first, {
        onEvents: (events) => {
          if (!wroteDuringDelivery) {
            wroteDuringDelivery = true;
            writes.push(s.create('/r/during-delivery', 'x'));
          }
          rec.callbacks.onEvents(events);
        },
        onError: rec.callbacks.onError,
      });
      try {
        writes.push(s.create('/r/right-after-watch', 'x'));
        await rec.untilEvents(1);
        writes.push(s.create('/r/after-first-batch', 'x'));
        for (const res of await Promise.all(writes)) succeeded(res);
        const last = await s.revision();
        await rec.untilEvents(last - first + 1);
        await settle(50);
        assert.deepEqual(rec.events.map((e) => e.kv.modRevision), revisionsFrom(first, last));
        let previous = 0;
        for (const batch of rec.batches) {
          assert.ok(batch[0]!.kv.modRevision > previous, 'batches arrive in revision order');
          previous = batch[batch.length - 1]!.kv.modRevision;
        }
      } finally {
        w.cancel();
      }
    }));

    test('compaction keeps latest values and refuses history at or below it', () => withStore(async (s) => {
      const a1 = succeeded(await s.create('/c/a', 'a1'));
      const a2 = succeeded(await s.update('/c/a', 'a2', a1.modRevision));
      succeeded(await s.create('/c/b', 'b'));
      const delB = succeeded(await s.delete('/c/b'));
      const c = succeeded(await s.create('/c/c', 'c'));
      const cut = delB.modRevision;

      await s.compact(cut);
      assert.equal(await s.compactedRevision(), cut);
      assert.deepEqual((await s.range('/c/')).kvs, [a2, c]);
      assert.deepEqual((await s.get('/c/a')).kv, a2);
      assert.deepEqual((await s.range('/c/', { revision: cut })).kvs, [a2]);

      const refused = await s.range('/c/', { revision: a1.modRevision }).then(
        () => assert.fail('range below the compacted revision succeeded'),
        (err: unknown) => err,
      );
      assert.ok(refused instanceof CompactedError, `expected CompactedError, got ${String(refused)}`);
      assert.equal(refused.compactedRevision, cut);
      assert.equal(refused.requestedRevision, a1.modRevision);

      for (const start of [a1.modRevision, cut]) {
        const rec = new Recorder();
        const w = s.watch('/c/', start, rec.callbacks);
        const err = await rec.untilError();
        w.cancel();
        assert.ok(err instanceof CompactedError, `watch from ${start}: expected CompactedError, got ${String(err)}`);
        assert.equal(err.compactedRevision, cut);
        assert.equal(rec.events.length, 0);
      }

      const after = new Recorder();
      const w = s.watch('/c/', cut + 1, after.callbacks);
      try {
        await after.untilEvents(1);
        assert.deepEqual(after.events, [{ type: 'put', kv: c, prevKv: undefined }]);
      } finally {
        w.cancel();
      }

      // Guards still work against revisions from before the compaction.
      const a3 = succeeded(await s.update('/c/a', 'a3', a2.modRevision));
      assert.equal(a3.createRevision, a1.createRevision);

      // Compacting at or below the compacted revision changes nothing; beyond the store is refused.
      await s.compact(cut);
      await s.compact(a1.modRevision);
      assert.equal(await s.compactedRevision(), cut);
      await assert.rejects(s.compact((await s.revision()) + 10), FutureRevisionError);
      assert.equal(await s.compactedRevision(), cut);
    }));

    test('100 concurrent creates of distinct keys all succeed with distinct revisions', () => withStore(async (s) => {
      const r0 = await s.revision();
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => s.create(`/many/${i}`, `v${i}`)));
      const revisions = results.map((res) => succeeded(res).modRevision).sort((x, y) => x - y);
      assert.deepEqual(revisions, revisionsFrom(r0 + 1, r0 + 100));
      assert.equal(await s.revision(), r0 + 100);
      const listed = await s.range('/many/');
      assert.equal(listed.count, 100);
      for (const item of listed.kvs) assert.equal(item.value, `v${item.key.slice('/many/'.length)}`);
    }));

    test('concurrent updates from the same revision: exactly one wins', () => withStore(async (s) => {
      const base = succeeded(await s.create('/race', 'base'));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.update('/race', `writer ${i}`, base.modRevision)));
      const winners = results.filter((res) => res.succeeded);
      assert.equal(winners.length, 1);
      const won = succeeded(winners[0]!);
      assert.equal(won.modRevision, base.modRevision + 1);
      for (const res of results) {
        if (!res.succeeded) assert.deepEqual(res.current, won);
      }
      assert.deepEqual((await s.get('/race')).kv, won);
      assert.equal(await s.revision(), base.modRevision + 1);
    }));

    test('close ends open watches with an error', async () => {
      const { store, cleanup } = await makeStore();
      let w: Watcher | undefined;
      try {
        const rec = new Recorder();
        w = store.watch('/closing/', (await store.revision()) + 1, rec.callbacks);
        await store.close();
        const err = await rec.untilError();
        assert.match(err.message, /closed/);
      } finally {
        w?.cancel();
        await cleanup();
      }
    });
  });
}
