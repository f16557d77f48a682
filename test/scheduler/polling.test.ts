/**
 * Scheduled polling of the WDT sandbox (seeded with shipped orders), with a business clock the test moves:
 * windows catch late commits inside the overlap, over-long windows are split to the API's maximum, data changing
 * while pages are read loses nothing, the cursor never moves past rows that are not stored, and a rate-limited
 * page waits for the connector's slow-down instead of being skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WdtSandboxHandle } from '../../src/connectors/wdt/index.ts';
import { waitFor } from '../helpers.ts';
import { Clock, MIN, NOOP_CONNECTOR, recordCalls, serve, stockoutSource, stockoutsIn, wdtConnector, wdtSandbox, workspace, type Server } from './harness.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setup(clock: Clock, schemes: Parameters<typeof workspace>[1], sandboxOpts: Parameters<typeof wdtSandbox>[1] = {}, connExtra = {}) {
  const sb = await wdtSandbox(clock, sandboxOpts);
  cleanup.push(() => sb.close());
  const ws = workspace([wdtConnector(sb, connExtra), NOOP_CONNECTOR], schemes);
  const server = await serve(ws, clock);
  cleanup.push(() => server.close());
  return { sb, server };
}

/** Ship `n` paid orders as if the warehouse had done it at `at` (business time), then restore the clock. */
function shipAt(sb: WdtSandboxHandle, clock: Clock, at: number, n: number): string[] {
  sb.state.setClock(at);
  try {
    return sb.state.ship({ limit: n }).shipped.map((s) => s.stockout_no);
  } finally {
    sb.state.setClock(null);
  }
}

describe('windows', () => {
  it('a stockout committed late inside the overlap is read by the next run; without the overlap it is missed', async () => {
    const clock = new Clock();
    const schedule = { startTime: '-3d' };
    const { sb, server } = await setup(
      clock,
      [
        { id: 'with-overlap', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { ...schedule, overlapMinutes: 10 } } },
        { id: 'no-overlap', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { ...schedule, overlapMinutes: 0 } } },
      ],
      { seed: 60 },
    );
    const t0 = clock.now();
    const shipped = stockoutsIn(sb, t0 - 3 * 24 * 60 * MIN - 1000, t0 + 1000);
    expect(shipped.length).toBeGreaterThan(20);
    for (const id of ['with-overlap', 'no-overlap']) {
      const r = await server.run(id);
      expect(r.schedule.source.runs[0]).toMatchObject({ status: 'done', accepted: shipped.length, rejected: 0 });
    }
    // Five minutes later the warehouse commits three shipments dated 7 minutes ago: before LAST_SYNC_TIME.
    clock.advance(5 * MIN);
    const late = shipAt(sb, clock, clock.now() - 7 * MIN, 3);
    expect(late).toHaveLength(3);
    for (const id of ['with-overlap', 'no-overlap']) await server.run(id);
    const withOverlap = await server.records('with-overlap');
    const withoutOverlap = await server.records('no-overlap');
    for (const no of late) {
      expect(withOverlap.get(no)).toBe('done');
      expect(withoutOverlap.has(no)).toBe(false);
    }
    expect(withOverlap.size).toBe(shipped.length + 3);
    // The overlap re-reads rows already stored: duplicates, not stored or sent again.
    const status = await server.status('with-overlap');
    expect(status.source.runs[0]).toMatchObject({ status: 'done', accepted: 3 });
    expect(status.source.runs[0].duplicate).toBeGreaterThanOrEqual(0);
    expect(clock.now() - status.source.lastSyncTimeMs).toBeLessThan(5000);
  }, 60_000);

  it('a window longer than the API maximum (trade_query: 60 min) is read in chunks of at most 60 minutes', async () => {
    const clock = new Clock();
    const metadata = {
      api: 'trade_query',
      type: 'QUERY',
      id: 'trade_no',
      request: [
        { field: 'start_time', value: '{{LAST_SYNC_TIME|datetime}}' },
        { field: 'end_time', value: '{{CURRENT_TIME|datetime}}' },
      ],
      response: [{ field: 'trade_no', type: 'string', is_required: true }, { field: 'modified', type: 'datetime' }],
    };
    const { sb, server } = await setup(clock, [{ id: 'trades', source: { connector: 'wdt', metadata, schedule: { startTime: '-5h', pagination: { pageSize: 10 } } } }], { seed: 400 });
    const calls = recordCalls(sb, 'trade_query');
    const to = Math.floor(clock.now() / 1000) * 1000;
    const from = to - 5 * 60 * MIN;
    const expected = [...sb.state.tenant().sysTrades.values()]
      .filter((s) => Math.floor(s.modified / 1000) * 1000 >= from && Math.floor(s.modified / 1000) * 1000 <= to)
      .map((s) => s.trade_no)
      .sort();
    expect(expected.length).toBeGreaterThan(15);
    const r = await server.run('trades');
    const run = r.schedule.source.runs[0];
    expect(run.status).toBe('done');
    expect([...(await server.records('trades')).keys()].sort()).toEqual(expected);
    // Every call's window is within the API's 60 minutes (the sandbox would answer 2901 otherwise), and they tile
    // the 5 hours without a gap.
    const windows = calls.map((c) => [Date.parse(`${c.params.start_time}+08:00`), Date.parse(`${c.params.end_time}+08:00`)] as const);
    for (const [a, b] of windows) expect(b - a).toBeLessThanOrEqual(60 * MIN);
    const chunks = [...new Map(windows.map((w) => [w.join(), w])).values()].sort((x, y) => x[0] - y[0]);
    expect(chunks.length).toBe(5);
    expect(chunks[0][0]).toBe(from);
    expect(chunks.at(-1)![1]).toBe(to);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i][0]).toBe(chunks[i - 1][1]);
    expect(sb.state.allStats().trade_query.codes).toEqual({});
    // LAST_SYNC_TIME is the end of the last chunk.
    expect((await server.status('trades')).source.lastSyncTimeMs).toBe(to);
  }, 60_000);

  it('the first run starts at the configured start time; a start time in the future reads nothing yet', async () => {
    const clock = new Clock();
    const { server } = await setup(
      clock,
      [
        { id: 'past', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '-2h', overlapMinutes: 10, lagSeconds: 30 } } },
        { id: 'future', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '2999-01-01 00:00:00' } } },
      ],
      { seed: 10 },
    );
    const asked = clock.now();
    const r = await server.run('past');
    const run = r.schedule.source.runs[0];
    // From the start time (no overlap before it) to now minus the lag.
    expect(Math.abs(Date.parse(`${run.windowFrom}+08:00`) - (asked - 2 * 60 * MIN))).toBeLessThan(3000);
    expect(Math.abs(Date.parse(`${run.windowTo}+08:00`) - (asked - 30_000))).toBeLessThan(3000);
    // The next run starts at LAST_SYNC_TIME minus the overlap.
    clock.advance(5 * MIN);
    const next = (await server.run('past')).schedule.source.runs[0];
    expect(Date.parse(`${next.windowFrom}+08:00`)).toBe(Date.parse(`${run.windowTo}+08:00`) - 10 * MIN);
    const f = await server.run('future');
    expect(f.schedule.source.runs).toEqual([]);
    expect(f.schedule.source.note).toMatch(/nothing to read yet/);
  }, 30_000);
});

describe('pages', () => {
  it('orders shipped and cancelled while the pages are read are all accounted for (the window is read again)', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [{ id: 'out', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '-3d', pagination: { pageSize: 20 } } } }], { seed: 300 });
    const calls = recordCalls(sb, 'stockout_order_query_trade');
    const t = sb.state.tenant();
    let changed = false;
    let late: string[] = [];
    const cancelled: string[] = [];
    const call = sb.state.call.bind(sb.state);
    sb.state.call = async (api, params) => {
      const answer = await call(api, params);
      // After page 2 is served: the warehouse ships 5 orders dated two days ago (they sort before the current
      // offset) and cancels 3 stockouts already read (every later row moves back by 3).
      if (api === 'stockout_order_query_trade' && params.page_no === '2' && !changed) {
        changed = true;
        late = shipAt(sb, clock, clock.now() - 2 * 24 * 60 * MIN, 5);
        const first = [...t.stockouts.values()].filter((so) => so.status >= 95).sort((a, b) => a.consign_time - b.consign_time || a.stockout_id - b.stockout_id);
        for (const so of first.slice(3, 6)) {
          so.status = 5;
          cancelled.push(so.stockout_no);
        }
      }
      return answer;
    };
    const r = await server.run('out');
    expect(changed).toBe(true);
    const run = r.schedule.source.runs[0];
    expect(run.status).toBe('done');
    const stored = await server.records('out');
    const to = Date.parse(`${run.windowTo}+08:00`);
    const from = Date.parse(`${run.windowFrom}+08:00`);
    const now = stockoutsIn(sb, from, to);
    for (const no of now) expect(stored.get(no), `stockout ${no}`).toBe('done');
    for (const no of late) expect(stored.has(no)).toBe(true);
    // The pager noticed total_count change and started the window over from page 0.
    const pages = calls.map((c) => c.page);
    expect(pages.indexOf(0, 1)).toBeGreaterThan(0);
    const jobs = await server.jobs.listJobs(run.id, 1000);
    expect(jobs.some((j) => j.pass === 1)).toBe(true);
    expect(jobs.some((j) => JSON.stringify(j.issues ?? '').includes('total_count changed'))).toBe(true);
  }, 60_000);

  it('when storing fails the page is retried and LAST_SYNC_TIME does not move; once storage is back nothing is lost', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [{ id: 'out', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '-1d', retryLadder: [0.3] } } }], { seed: 80 });
    await server.run('out');
    const before = (await server.status('out')).source.lastSyncTimeMs;
    expect(before).not.toBeNull();
    clock.advance(5 * MIN);
    const fresh = shipAt(sb, clock, clock.now() - MIN, 4);
    expect(fresh).toHaveLength(4);
    // The disk fills up.
    const store = server.q.store;
    const intake = store.intake;
    let failures = 0;
    store.intake = async () => {
      failures++;
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    const r = await server.api('POST', '/api/schemes/out/run', {});
    expect(r.status).toBe(200);
    await waitFor(async () => failures >= 3, 10_000, 'three failed attempts');
    const during = await server.status('out');
    expect(during.source.lastSyncTimeMs).toBe(before);
    expect(['retrying', 'running']).toContain(during.source.state);
    expect(during.source.current.page.error).toMatch(/SQLITE_FULL/);
    expect(during.source.current.page.attempts).toBeGreaterThanOrEqual(2);
    for (const no of fresh) expect((await server.records('out')).has(no)).toBe(false);
    // Storage is back: the same page goes through, then the cursor moves.
    store.intake = intake;
    await waitFor(async () => (await server.status('out')).source.state === 'idle', 10_000, 'the run to finish');
    const after = await server.status('out');
    expect(after.source.lastSyncTimeMs).toBeGreaterThan(before);
    expect(after.source.runs[0]).toMatchObject({ status: 'done', accepted: 4, error: null });
    const stored = await server.records('out');
    for (const no of fresh) expect(stored.get(no)).toBe('done');
  }, 60_000);

  it("a rate-limited page waits for the connector's slow-down and is read again; the run completes", async () => {
    const clock = new Clock();
    const { sb, server } = await setup(
      clock,
      [{ id: 'out', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '-3d', pagination: { pageSize: 10 } } } }],
      // The sandbox allows 3 calls per second for this API; more get 1030 (rate limited).
      { seed: 150, faults: { stockout_order_query_trade: { qps: 3 } } },
    );
    const r = await server.run('out');
    const run = r.schedule.source.runs[0];
    expect(run.status).toBe('done');
    const stats = sb.state.allStats().stockout_order_query_trade;
    const to = Date.parse(`${run.windowTo}+08:00`);
    const expected = stockoutsIn(sb, Date.parse(`${run.windowFrom}+08:00`), to);
    expect([...(await server.records('out')).keys()].sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(50);
    // The sandbox did limit some calls; those pages were read again after the slow-down.
    expect(stats.faults.qps).toBeGreaterThan(0);
    const jobs = await server.jobs.listJobs(run.id, 100);
    expect(jobs.some((j) => j.attempts > 0)).toBe(true);
  }, 60_000);

  it("the connector's own rate limit (limits.qps) paces the pages", async () => {
    const clock = new Clock();
    const { sb, server } = await setup(
      clock,
      [{ id: 'out', source: { connector: 'wdt', metadata: stockoutSource(), schedule: { startTime: '-3d', pagination: { pageSize: 10 } } } }],
      { seed: 100, faults: { stockout_order_query_trade: { qps: 5 } } },
      { limits: { qps: 4 } },
    );
    const started = Date.now();
    const run = (await server.run('out')).schedule.source.runs[0];
    expect(run.status).toBe('done');
    const stats = sb.state.allStats().stockout_order_query_trade;
    // Never over the sandbox's limit, so never refused; and paced: n calls take at least (n - 1) / 4 s.
    expect(stats.faults.qps ?? 0).toBe(0);
    expect(stats.calls).toBeGreaterThanOrEqual(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(((stats.calls - 1) / 4) * 1000 - 300);
  }, 60_000);
});

describe('polled rows are checked like pushed ones', () => {
  it('condition, beatFlat and idCheck apply; rows failing the response metadata are counted as rejected', async () => {
    const clock = new Clock();
    const metadata = stockoutSource({
      // Keep warehouse WH01 only; explode lines (ids get -1, -2 …); a row must have a logistics number.
      condition: [[{ field: 'warehouse_no', logic: 'eq', value: 'WH01' }]],
      otherRequest: [{ field: 'beatFlat', value: ['details_list'] }],
      response: [...(stockoutSource().response as unknown[]), { field: 'warehouse_no', type: 'string' }, { field: 'paid', type: 'int' }],
    });
    const { sb, server } = await setup(clock, [{ id: 'lines', source: { connector: 'wdt', metadata, schedule: { startTime: '-3d' } } }], { seed: 60 });
    const t = sb.state.tenant();
    // Two stockouts from the other warehouse.
    const all = [...t.stockouts.values()].filter((so) => so.status >= 95);
    for (const so of all.slice(0, 2)) so.warehouse_no = 'WH02';
    const r = await server.run('lines');
    const run = r.schedule.source.runs[0];
    expect(run.filtered).toBe(2);
    const stored = await server.records('lines');
    for (const so of all.slice(0, 2)) expect([...stored.keys()].some((k) => k.startsWith(so.stockout_no))).toBe(false);
    // beatFlat: one record per line, id suffixed.
    const kept = all.slice(2);
    for (const so of kept) expect(stored.get(`${so.stockout_no}-1`)).toBe('done');
    // paid is a decimal text like "129.0000": an int field rejects fractions only, so these pass — no rejections.
    expect(run.rejected).toBe(0);
    // idCheck true: reading the same window again stores nothing new.
    clock.advance(MIN);
    await server.api('PUT', '/api/schemes/lines/schedule/cursor', { lastSyncTime: null });
    const again = (await server.run('lines')).schedule.source.runs[0];
    expect(again.accepted).toBe(0);
    expect(again.duplicate).toBe(kept.length);
  }, 60_000);
});
