/**
 * Scheduling features end to end over the HTTP connector's simulator: the three paging styles the engine drives
 * (start row, next token, page number), list-then-detail, preconditions (执行条件) and upstream triggers
 * (上游触发方案), a scheduled target (执行定时), cron, and the management API and CLI.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fmt } from '../../src/connectors/http/sim.ts';
import type { HttpSandboxHandle } from '../../src/connectors/http/index.ts';
import { DEMO_APP, ROOT, waitFor } from '../helpers.ts';
import { Clock, MIN, NOOP_CONNECTOR, httpConnector, httpSandbox, serve, workspace, type Server } from './harness.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const window = [
  { field: 'updated_from', value: '{{LAST_SYNC_TIME|datetime}}' },
  { field: 'updated_to', value: '{{CURRENT_TIME|datetime}}' },
];
const response = [
  { field: 'id', type: 'string', is_required: true },
  { field: 'updated_at', type: 'datetime' },
];

function rows(clock: Clock, prefix: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${String(i + 1).padStart(3, '0')}`, updated_at: fmt(clock.now() - (n - i) * MIN), ...extra(i) }));
}

async function setup(clock: Clock, schemes: Parameters<typeof workspace>[1], extraConnectors: unknown[] = []): Promise<{ sb: HttpSandboxHandle; server: Server }> {
  const sb = await httpSandbox(clock);
  cleanup.push(() => sb.close());
  const ws = workspace([httpConnector(sb, 'src'), httpConnector(sb, 'erp'), NOOP_CONNECTOR, ...extraConnectors], schemes);
  const server = await serve(ws, clock);
  cleanup.push(() => server.close());
  return { sb, server };
}

const sorted = (m: Map<string, string>) => [...m.keys()].sort();

describe('paging styles', () => {
  it('start row (Kingdee style {{PAGINATION_START_ROW}}), next token, and page numbers from 1 all read every row once', async () => {
    const clock = new Clock();
    const schemes = [
      {
        id: 'offset',
        source: {
          connector: 'src',
          metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: [...window, { field: 'start_row', value: '{{PAGINATION_START_ROW}}' }, { field: 'limit', value: '{{PAGINATION_PAGE_SIZE}}' }] },
          schedule: { startTime: '-1d', pagination: { pageSize: 7 } },
        },
      },
      {
        id: 'cursor',
        source: {
          connector: 'src',
          metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: [...window, { field: 'cursor', value: '{{PAGINATION_CURSOR}}' }, { field: 'limit', value: '{{PAGINATION_PAGE_SIZE}}' }] },
          schedule: { startTime: '-1d', pagination: { pageSize: 7 } },
        },
      },
      {
        id: 'pages',
        // No PAGINATION_* variables: the engine adds page / page_size itself.
        source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window }, schedule: { startTime: '-1d', pagination: { style: 'page', pageParam: 'page', sizeParam: 'page_size', pageSize: 7 } } },
      },
    ];
    const { sb, server } = await setup(clock, schemes);
    const data = rows(clock, 'O', 30);
    sb.state.setCollection('orders', data);
    for (const s of ['offset', 'cursor', 'pages']) {
      const run = (await server.run(s)).schedule.source.runs[0];
      expect(run, s).toMatchObject({ status: 'done', rows: 30, accepted: 30, duplicate: 0, pages: 5 });
      expect(sorted(await server.records(s))).toEqual(data.map((r) => r.id));
    }
    const status = await server.status('cursor');
    expect(status.source.pagination).toEqual({ style: 'cursor', pageSize: 7, firstPage: 1 });
  }, 30_000);

  it('list then detail: each listed id is fetched from the detail API and merged; a vanished one is reported', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [
      {
        id: 'detail',
        source: {
          connector: 'src',
          metadata: {
            api: 'GET /data/order_index',
            type: 'QUERY',
            id: 'id',
            request: window,
            response: [...response, { field: 'customer', type: 'string', is_required: true }, { field: 'lines', type: 'array', is_required: true }],
          },
          schedule: { startTime: '-1d', detail: { api: 'GET /data/orders', request: [{ field: 'id', value: '{{id}}' }], concurrency: 3 } },
        },
      },
    ]);
    const index = rows(clock, 'D', 12);
    sb.state.setCollection('order_index', index);
    sb.state.setCollection('orders', index.slice(0, 11).map((r, i) => ({ ...r, customer: `客户${i}`, lines: [{ sku: 'S1', qty: i + 1 }] })));
    const run = (await server.run('detail')).schedule.source.runs[0];
    expect(run).toMatchObject({ status: 'done', rows: 12, accepted: 11, rejected: 1 });
    const stored = await server.records('detail');
    expect(stored.has('D012')).toBe(false);
    const rec = (await server.api('GET', `/api/schemes/detail/records?limit=1`)).body.rows[0];
    const full = (await server.api('GET', `/api/schemes/detail/records/${rec.id}`)).body;
    expect(full.content).toMatchObject({ customer: expect.stringMatching(/^客户/), lines: [{ sku: 'S1' }] });
    const jobs = await server.jobs.listJobs(run.id, 10);
    expect(JSON.stringify(jobs[0].issues)).toMatch(/detail GET \/data\/orders returned no row/);
  }, 30_000);
});

describe('chaining', () => {
  it('执行条件: a run waits until the required scheme has read its source and is idle; 上游触发: new data upstream starts it', async () => {
    const clock = new Clock();
    const goods = { connector: 'src', metadata: { api: 'GET /data/goods', type: 'QUERY', id: 'id', response, request: [] } };
    const orders = {
      connector: 'src',
      metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window },
      schedule: { startTime: '-1d', requires: ['goods'], triggeredBy: [{ scheme: 'goods', on: 'stored' }] },
    };
    const { sb, server } = await setup(clock, [
      { id: 'goods', source: goods },
      { id: 'orders', source: orders },
    ]);
    sb.state.setCollection('goods', rows(clock, 'G', 5));
    sb.state.setCollection('orders', rows(clock, 'O', 8));
    // Orders first: it may not run before goods has.
    expect((await server.api('POST', '/api/schemes/orders/run', {})).status).toBe(200);
    await waitFor(async () => (await server.status('orders')).source.state === 'waiting', 5000, 'orders to wait');
    const waiting = await server.status('orders');
    expect(waiting.source.waitingFor).toBe('scheme goods has not read its source yet');
    expect(waiting.source.runs).toEqual([]);
    // Goods runs (a snapshot: no time window) and stores 5 goods → orders may go, and goes.
    const g = (await server.run('goods')).schedule.source.runs[0];
    expect(g).toMatchObject({ status: 'done', accepted: 5, windowFrom: null });
    await waitFor(async () => (await server.status('orders')).source.runs[0]?.status === 'done', 10_000, 'orders to run');
    expect((await server.records('orders')).size).toBe(8);
    // New goods upstream start another orders run by themselves.
    sb.state.upsertRows('goods', [{ id: 'G100' }]);
    clock.advance(MIN);
    await server.run('goods');
    await waitFor(async () => (await server.status('orders')).source.runs[0]?.trigger === 'upstream:goods', 10_000, 'an upstream-triggered run');
    await waitFor(async () => (await server.status('orders')).source.state === 'idle', 10_000, 'orders idle');
    // Nothing new stored by goods: no trigger.
    const before = (await server.status('orders')).source.runs.length;
    await server.run('goods');
    await new Promise((r) => setTimeout(r, 500));
    expect((await server.status('orders')).source.runs.length).toBe(before);
  }, 60_000);

  it('执行定时: a scheduled target sends only during target runs (run now, or an upstream delivery), then stops', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [
      { id: 'goods', source: { connector: 'src', metadata: { api: 'GET /data/goods', type: 'QUERY', id: 'id', response, request: [] } } },
      {
        id: 'out',
        source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window }, schedule: { startTime: '-1d' } },
        target: {
          connector: 'erp',
          metadata: { api: 'POST /erp/orders', request: [{ field: 'no', value: '{{id}}' }] },
          // Once a year at 00:00 on 1 January, or when goods delivered something.
          schedule: { cron: '0 0 1 1 *', triggeredBy: [{ scheme: 'goods', on: 'done' }] },
        },
      },
    ]);
    sb.state.setCollection('orders', rows(clock, 'O', 6));
    sb.state.setCollection('goods', rows(clock, 'G', 2));
    await server.run('out');
    await new Promise((r) => setTimeout(r, 400));
    let s = await server.status('out');
    expect(s.counts.pending).toBe(6);
    expect(s.target).toMatchObject({ mode: 'scheduled', state: 'idle', cron: '0 0 1 1 *' });
    expect(s.target.nextRunAt).toMatch(/-01-01 00:00:00$/);
    expect(sb.state.items('/erp/orders')).toHaveLength(0);
    // Run the target now: the records go, then the target stops again.
    expect((await server.api('POST', '/api/schemes/out/run', { side: 'target' })).status).toBe(200);
    await waitFor(async () => (await server.status('out')).counts.done === 6, 10_000, 'delivery');
    await waitFor(async () => (await server.status('out')).target.state === 'idle', 10_000, 'the target run to end');
    expect(server.q.dispatcher.isActive('out')).toBe(false);
    expect(sb.state.items('/erp/orders').map((r) => (r.item as { no: string }).no).sort()).toEqual(['O001', 'O002', 'O003', 'O004', 'O005', 'O006']);
    // More orders wait again … until goods delivers (its target is continuous), which triggers this target.
    clock.advance(MIN);
    sb.state.upsertRows('orders', [{ id: 'O100' }]);
    await server.run('out');
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.status('out')).counts.pending).toBe(1);
    await server.run('goods');
    await waitFor(async () => (await server.status('out')).counts.done === 7, 10_000, 'delivery after the upstream trigger');
    s = await server.status('out');
    expect(s.target.lastTrigger.reason).toBe('upstream:goods');
  }, 60_000);
});

describe('schemes made or edited while running (console)', () => {
  it('a polled scheme added at run time is scheduled; an edit takes effect; a removed one stops', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [
      { id: 'first', source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window }, schedule: { startTime: '-1h' } } },
    ]);
    sb.state.setCollection('orders', rows(clock, 'O', 3));
    const { runtime, workspace: ws } = server.q;
    const def = {
      ...runtime.schemes.get('first')!.def,
      id: 'added',
      name: 'added',
      source: { ...runtime.schemes.get('first')!.def.source, schedule: { startTime: '-1h', cron: '0 0 1 1 *' } },
    };
    runtime.addScheme(def, ws.connectors, ws.maps);
    await waitFor(async () => (await server.status('added')).source.kind === 'query' && (await server.status('added')).source.cron === '0 0 1 1 *', 5000, 'the new scheme to be scheduled');
    expect((await server.run('added')).schedule.source.runs[0]).toMatchObject({ status: 'done', accepted: 3 });
    // Edit: a new cron.
    runtime.addScheme({ ...def, source: { ...def.source, schedule: { startTime: '-1h', cron: '0 3 * * *' } } }, ws.connectors, ws.maps);
    await waitFor(async () => (await server.status('added')).source.cron === '0 3 * * *', 5000, 'the edit');
    expect((await server.status('added')).source.nextRunAt).toMatch(/ 03:00:00$/);
    // Remove.
    runtime.removeScheme('added');
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.api('POST', '/api/schemes/added/run', {})).status).toBe(404);
  }, 30_000);
});

describe('cron, API and CLI', () => {
  it('a cron expression starts runs by itself', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [
      { id: 'tick', source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window }, schedule: { cron: '* * * * * *', startTime: '-1h' } } },
    ]);
    sb.state.setCollection('orders', rows(clock, 'O', 3));
    await waitFor(async () => (await server.status('tick')).source.runs.length >= 2, 10_000, 'two cron runs');
    const s = await server.status('tick');
    expect(s.source.runs.every((r: { trigger: string }) => r.trigger === 'cron')).toBe(true);
    expect(s.source.cron).toBe('* * * * * *');
    expect(s.source.nextRunAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect((await server.records('tick')).size).toBe(3);
    // Polling shows up in the Prometheus metrics.
    const metrics = await (await fetch(`${server.q.url}/metrics`)).text();
    expect(metrics).toMatch(/qiao_polled_records_total\{scheme="tick",outcome="accepted"\} 3/);
    expect(metrics).toMatch(/qiao_source_pages_total\{scheme="tick"\} [1-9]/);
  }, 30_000);

  it('run-now answers: unknown scheme 404, stopped 409, a push source has no source side, bad sides 400; the cursor can be set', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [
      { id: 'poll', source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window } } },
      { id: 'off', enabled: false, source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window } } },
      { id: 'push', source: { connector: 'store', metadata: { api: 'OpenCallback', id: 'id', request: [{ field: 'id', type: 'string', is_required: true }] } } },
    ]);
    sb.state.setCollection('orders', rows(clock, 'O', 2));
    expect((await server.api('POST', '/api/schemes/nope/run', {})).status).toBe(404);
    expect((await server.api('POST', '/api/schemes/off/run', {})).status).toBe(409);
    const push = await server.api('POST', '/api/schemes/push/run', { side: 'source' });
    expect(push.status).toBe(400);
    expect(push.body.message).toMatch(/pushed, not polled/);
    expect((await server.api('POST', '/api/schemes/push/run', {})).body.results.target.message).toMatch(/continuously/);
    expect((await server.api('POST', '/api/schemes/poll/run', { side: 'sideways' })).body.issues[0].path).toBe('side');
    const push2 = await server.status('push');
    expect(push2.source).toEqual({ kind: 'push', api: 'OpenCallback', connector: 'store' });
    const set = await server.api('PUT', '/api/schemes/poll/schedule/cursor', { lastSyncTime: '2024-06-01 08:00:00' });
    expect(set.status).toBe(200);
    expect(set.body.source.lastSyncTime).toBe('2024-06-01 08:00:00');
    expect(set.body.source.lastSyncTimeMs).toBe(Date.parse('2024-06-01T08:00:00+08:00'));
    expect((await server.api('PUT', '/api/schemes/poll/schedule/cursor', { lastSyncTime: 'yesterday-ish' })).status).toBe(400);
    // The next run starts at the cursor minus the default 10-minute overlap.
    const run = (await server.run('poll')).schedule.source.runs[0];
    expect(run.windowFrom).toBe('2024-06-01 07:50:00');
    // Without a token: 401.
    expect((await fetch(`${server.q.url}/api/schemes/poll/schedule`)).status).toBe(401);
  }, 30_000);

  it('qiao scheme run --wait and qiao scheme schedule', async () => {
    const clock = new Clock();
    const { sb, server } = await setup(clock, [
      { id: 'poll', source: { connector: 'src', metadata: { api: 'GET /data/orders', type: 'QUERY', id: 'id', response, request: window }, schedule: { startTime: '-1h', cron: '*/5 * * * *' } } },
    ]);
    sb.state.setCollection('orders', rows(clock, 'O', 4));
    const cli = (...args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        const c = spawn(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), ...args, '--url', server.q.url, '--app-key', DEMO_APP.app_key, '--app-secret', DEMO_APP.app_secret], { cwd: ROOT });
        let out = '';
        let err = '';
        c.stdout.on('data', (d) => (out += d));
        c.stderr.on('data', (d) => (err += d));
        c.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
      });
    const run = await cli('scheme', 'run', 'poll', '--wait');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/poll source: run queued/);
    expect(run.out).toMatch(/#1 done .* new=4/);
    const status = await cli('scheme', 'schedule', 'poll');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/cron \*\/5 \* \* \* \*, next \d{4}-/);
    expect(status.out).toMatch(/LAST_SYNC_TIME \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    const bad = await cli('scheme', 'run', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/404/);
  }, 60_000);
});
