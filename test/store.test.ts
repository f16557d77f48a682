import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { RecordStatus, type IntakeItem } from '../src/store/types.ts';

let dir: string;
let store: SqliteStore;

const item = (sourceId: string, content: object = { tid: sourceId }, idCheck: IntakeItem['idCheck'] = true): IntakeItem => ({
  schemeId: 's1',
  sourceId,
  number: sourceId,
  content: JSON.stringify(content),
  hash: JSON.stringify(content),
  idCheck,
  origin: { requestId: 'r1' },
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qiao-store-'));
  store = new SqliteStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SQLite record store', () => {
  it('stores pushed records as pending and reports duplicates by id (idCheck true)', async () => {
    const r = await store.intake([item('A'), item('B'), item('A')]);
    expect(r.map((x) => x.outcome)).toEqual(['accepted', 'accepted', 'duplicate']);
    expect(r[2].recordId).toBe(r[0].recordId);
    expect(await store.countByStatus('s1')).toMatchObject({ pending: 2, duplicate: 0 });
  });

  it('replaces content and sends again when idCheck is false; "changed" re-sends only on new content', async () => {
    const [a] = await store.intake([item('A', { v: 1 })]);
    await store.intake([item('A', { v: 2 }, false)]);
    expect((await store.getRecord('s1', a.recordId))!.content).toEqual({ v: 2 });
    const same = await store.intake([item('A', { v: 2 }, 'changed')]);
    const changed = await store.intake([item('A', { v: 3 }, 'changed')]);
    expect(same[0].outcome).toBe('duplicate');
    expect(changed[0].outcome).toBe('accepted');
    expect((await store.getRecord('s1', a.recordId))!.rev).toBe(3);
  });

  it('claims due records with a lease, and an expired lease returns them to the queue', async () => {
    await store.intake([item('A'), item('B')]);
    const now = Date.now();
    const first = await store.claim('s1', 10, 1000, now);
    expect(first.map((r) => r.sourceId)).toEqual(['A', 'B']);
    expect(await store.claim('s1', 10, 1000, now + 500)).toEqual([]); // leased
    const again = await store.claim('s1', 10, 1000, now + 1001); // lease expired: a crashed worker's claim
    expect(again.map((r) => r.sourceId)).toEqual(['A', 'B']);
    expect(await store.countByStatus('s1')).toMatchObject({ queued: 2 });
  });

  it('settles records with their call trace in the history', async () => {
    const [a] = await store.intake([item('A')]);
    const [c] = await store.claim('s1', 10, 60_000, Date.now());
    await store.settle(
      [{ schemeId: 's1', api: 'trade_push', url: 'http://x/trade_push.php', request: { sign: '***' }, status: 200, response: '{"code":0}', durationMs: 3, outcome: 'ok' }],
      [{ id: c.id, rev: c.rev, status: RecordStatus.done, attempts: 1, mapped: { tid: 'A' }, callIndexes: [0], events: [{ kind: 'done' }] }],
      Date.now(),
    );
    const rec = (await store.getRecord('s1', a.recordId))!;
    expect(rec.statusName).toBe('done');
    expect(rec.mapped).toEqual({ tid: 'A' });
    expect(rec.history.map((h) => h.kind)).toEqual(['intake', 'call', 'done']);
    expect(rec.history[1].call).toMatchObject({ api: 'trade_push', status: 200, outcome: 'ok' });
  });

  it('keeps one id in arrival order: a re-push during delivery is sent after the in-flight one settles', async () => {
    await store.intake([item('A', { v: 1 })]);
    const [c] = await store.claim('s1', 10, 60_000, Date.now());
    await store.intake([item('A', { v: 2 }, false)]); // arrives while v1 is in flight
    expect(await store.claim('s1', 10, 60_000, Date.now())).toEqual([]); // v2 must wait for v1
    await store.settle([], [{ id: c.id, rev: c.rev, status: RecordStatus.done, attempts: 1 }], Date.now());
    const next = await store.claim('s1', 10, 60_000, Date.now());
    expect(next).toHaveLength(1);
    expect(JSON.parse(next[0].content)).toEqual({ v: 2 });
  });

  it('a retry is not claimed before it is due', async () => {
    await store.intake([item('A')]);
    const now = Date.now();
    const [c] = await store.claim('s1', 10, 60_000, now);
    await store.settle([], [{ id: c.id, rev: c.rev, status: RecordStatus.pending, attempts: 1, dueAt: now + 20_000, error: 'timeout' }], now);
    expect(await store.claim('s1', 10, 60_000, now + 19_000)).toEqual([]);
    expect(await store.claim('s1', 10, 60_000, now + 20_000)).toHaveLength(1);
    expect(await store.nextDue('s1')).toBeGreaterThan(now);
  });

  it('a recovered target pulls retries forward; records never tried keep their place', async () => {
    await store.intake([item('A'), item('B')]);
    const now = Date.now();
    const [a] = await store.claim('s1', 1, 60_000, now);
    await store.settle([], [{ id: a.id, rev: a.rev, status: RecordStatus.pending, attempts: 1, dueAt: now + 20_000, error: '502' }], now);
    expect(await store.expediteRetries('s1', now + 1)).toBe(1);
    expect((await store.claim('s1', 10, 60_000, now + 1)).map((r) => r.sourceId).sort()).toEqual(['A', 'B']);
  });

  it('survives reopening (records are on disk) and releases claims of a stopped process', async () => {
    await store.intake([item('A'), item('B')]);
    await store.claim('s1', 1, 60 * 60_000, Date.now());
    await store.close();
    store = new SqliteStore({ dataDir: dir });
    expect(await store.releaseAllClaims(Date.now())).toBe(1);
    expect((await store.claim('s1', 10, 1000, Date.now())).map((r) => r.sourceId).sort()).toEqual(['A', 'B']);
  });

  it('refuses a second process on the same data folder', () => {
    expect(() => new SqliteStore({ dataDir: dir })).toThrow(/in use by another Qiao process/);
  });

  it('filters and pages records', async () => {
    await store.intake(['A', 'B', 'C'].map((id) => item(id)));
    const page = await store.listRecords('s1', { status: RecordStatus.pending, limit: 2, offset: 0 });
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => r.sourceId)).toEqual(['C', 'B']);
    expect((await store.listRecords('s1', { status: RecordStatus.done })).total).toBe(0);
  });
});
