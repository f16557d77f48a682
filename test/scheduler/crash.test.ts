/**
 * Each page is a durable job: a `qiao serve` killed with SIGKILL while a run is between pages resumes, after the
 * restart, at the page that was pending — not at the window's start, and not after it. The server runs as a real
 * child process; the WDT sandbox (seeded, answering each page slowly) runs in the test.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/server/index.ts';
import { getJson, getToken, killSpawned, spawnServe as serve, tmpDir, waitFor } from '../helpers.ts';
import { Clock, NOOP_CONNECTOR, recordCalls, stockoutSource, stockoutsIn, wdtConnector, wdtSandbox, workspace } from './harness.ts';

afterAll(killSpawned);


describe('kill -9 between pages', () => {
  it('the run resumes at the pending page after a restart, and every row is stored', async () => {
    const clock = new Clock();
    const sb = await wdtSandbox(clock, { seed: 200, faults: { stockout_order_query_trade: { latencyMs: 250 } } });
    try {
      const calls = recordCalls(sb, 'stockout_order_query_trade');
      const ws = workspace(
        [wdtConnector(sb), NOOP_CONNECTOR],
        [{ id: 'out', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '-3d', pagination: { pageSize: 10 } } } }],
      );
      const data = tmpDir('qiao-sched-crash-');
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const first = await serve(ws, data, port);
      const token = await getToken(url);
      const r = await fetch(`${url}/api/schemes/out/run`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      expect(r.status).toBe(200);
      // Page 4 has been asked for (pages 0–3 are stored and done): kill the server while it waits for the answer.
      await waitFor(async () => calls.length >= 5, 20_000, 'page 4 to be requested');
      first.kill('SIGKILL');
      await new Promise((res) => first.once('exit', res));
      const before = calls.map((c) => c.page);
      expect(before.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
      // What the dead server left in its store: pages 0 … P-1 done, page P pending.
      const db = new Database(path.join(data, 'qiao.db'), { readonly: true });
      const jobs = db.prepare('SELECT page, status FROM source_jobs ORDER BY id').all() as Array<{ page: number; status: string }>;
      const cursor = db.prepare('SELECT last_sync FROM source_cursors').get();
      db.close();
      const pending = jobs.filter((j) => j.status === 'pending');
      expect(pending).toHaveLength(1);
      const resumeAt = pending[0].page;
      expect(jobs.filter((j) => j.status === 'done').map((j) => j.page)).toEqual(Array.from({ length: resumeAt }, (_, i) => i));
      expect(resumeAt).toBeGreaterThanOrEqual(4);
      // The window is not complete, so LAST_SYNC_TIME has not moved.
      expect(cursor).toBeUndefined();

      const second = await serve(ws, data, port);
      const token2 = await getToken(url);
      // No trigger: the open run resumes on its own.
      await waitFor(async () => (await getJson(`${url}/api/schemes/out/schedule`, token2)).source.runs[0]?.status === 'done', 30_000, 'the run to finish');
      const after = calls.slice(before.length).map((c) => c.page);
      // It resumes exactly at the page that was pending, and reads on to the end, each page once.
      expect(after[0]).toBe(resumeAt);
      expect(after).toEqual(after.map((_, i) => resumeAt + i));
      const status = await getJson(`${url}/api/schemes/out/schedule`, token2);
      const run = status.source.runs[0];
      expect(status.source.runs).toHaveLength(1);
      const expected = stockoutsIn(sb, Date.parse(`${run.windowFrom}+08:00`), Date.parse(`${run.windowTo}+08:00`));
      const list = await getJson(`${url}/api/schemes/out/records?limit=1000`, token2);
      expect(list.rows.map((x: { sourceId: string }) => x.sourceId).sort()).toEqual(expected);
      expect(status.source.lastSyncTime).toBe(run.windowTo);
      second.kill('SIGTERM');
      await new Promise((res) => second.once('exit', res));
    } finally {
      await sb.close();
    }
  }, 90_000);
});
