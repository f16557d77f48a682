/**
 * Delivery behaviour a user relies on, against a real WDT sandbox with faults switched on at run time:
 * poison isolation, retries on the ladder, giving up, and the operator actions that fix what failed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import type { RunningQiao } from '../src/server/index.ts';
import { getJson, getToken, push, seedOrder, seedWorkspace, setSimFaults, startServer, waitFor } from './helpers.ts';

let sandbox: Awaited<ReturnType<typeof startWdtSandbox>>;
let q: RunningQiao;
let token: string;

const setFaults = (faults: object | null) => setSimFaults(sandbox.url, faults);
const api = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${q.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as any };
};
const record = async (tid: string) => {
  const l = await getJson(`${q.url}/api/schemes/seed/records?limit=1000`, token);
  const row = l.rows.find((x: { sourceId: string }) => x.sourceId === tid);
  return row ? getJson(`${q.url}/api/schemes/seed/records/${row.id}`, token) : undefined;
};
const statusOf = (tid: string, status: string) => waitFor(async () => {
  const r = await record(tid);
  return r?.statusName === status ? r : undefined;
}, 15_000, `${tid} ${status}`);

beforeAll(async () => {
  sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0 });
  q = await startServer(seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true, options: { retryLadder: [0.3, 0.3], maxRetries: 2 } }));
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
  await sandbox?.close();
});
beforeEach(async () => {
  await setFaults(null);
});

describe('poison isolation', () => {
  it('one order WDT rejects inside a batch of 50: the other 49 are delivered in the same cycle', async () => {
    const orders = Array.from({ length: 50 }, (_, i) => seedOrder(`PZ-${i}`));
    await setFaults({ trade_push: { rejectTids: ['PZ-17'] } });
    const r = await push(q.url, token, orders);
    expect(r.body.accepted).toBe(50);
    const bad = await statusOf('PZ-17', 'error');
    expect(bad.error).toContain('PZ-17');
    expect(bad.attempts).toBe(1); // a business error is not retried blindly
    const { trades } = await getJson(`${sandbox.url}_sim/trades?limit=1000`);
    const tids = new Set((trades as Array<{ tid: string }>).map((t) => t.tid));
    for (let i = 0; i < 50; i++) expect(tids.has(`PZ-${i}`), `PZ-${i}`).toBe(i !== 17);
    const good = await record('PZ-3');
    expect(good.statusName).toBe('done');
    // The trace shows the split: the first call carried all 50.
    expect(bad.history.filter((h: { kind: string }) => h.kind === 'call').length).toBeGreaterThan(1);
  });
});

describe('retries', () => {
  it('HTTP 500 is transient: retried on the ladder, then delivered', async () => {
    await setFaults({ trade_push: { http500Rate: 1, times: 1 } });
    await push(q.url, token, [seedOrder('RT-1')]);
    const rec = await statusOf('RT-1', 'done');
    expect(rec.attempts).toBe(2);
    const kinds = rec.history.map((h: { kind: string }) => h.kind);
    expect(kinds).toContain('retry');
    const failedCall = rec.history.find((h: { call?: { outcome: string } }) => h.call?.outcome === 'transient');
    expect(failedCall.call.status).toBe(500);
  });

  it('gives up after maxRetries and keeps the reason', async () => {
    await setFaults({ trade_push: { http502Rate: 1 } });
    await push(q.url, token, [seedOrder('RT-2')]);
    const rec = await statusOf('RT-2', 'error');
    expect(rec.attempts).toBe(3);
    expect(rec.error).toMatch(/gave up after 3 attempts/);
  });
});

describe('operator actions', () => {
  it('edit and resubmit fixes a rejected order; the history says who did it', async () => {
    await push(q.url, token, [seedOrder('OP-1', 'no-such-shop')]);
    const failed = await statusOf('OP-1', 'error');
    const bad = await api('PUT', `/api/schemes/seed/records/${failed.id}/content`, { content: { ...failed.content, order_list: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('content.order_list');
    const changedId = await api('PUT', `/api/schemes/seed/records/${failed.id}/content`, { content: { ...failed.content, tid: 'OTHER' } });
    expect(changedId.status).toBe(400);
    const ok = await api('PUT', `/api/schemes/seed/records/${failed.id}/content`, { content: { ...failed.content, shop_no: 'api_test' } });
    expect(ok.status).toBe(200);
    const done = await statusOf('OP-1', 'done');
    const action = done.history.find((h: { kind: string }) => h.kind === 'action');
    expect(action.message).toMatch(/edited by app:qiao-demo/);
  });

  it('re-queue by filter sends errors again once the target is fixed', async () => {
    await setFaults({ trade_push: { errorRate: 1, errorCode: 1060, errorMessage: '充值余额为0或应用已欠费' } });
    await push(q.url, token, [seedOrder('OP-2'), seedOrder('OP-3')]);
    await statusOf('OP-2', 'error');
    await statusOf('OP-3', 'error');
    await setFaults(null);
    const bad = await api('POST', '/api/schemes/seed/records/requeue', {});
    expect(bad.status).toBe(400);
    const r = await api('POST', '/api/schemes/seed/records/requeue', { status: ['error'], error: '欠费' });
    expect(r.body.requeued).toBe(2);
    await statusOf('OP-2', 'done');
    await statusOf('OP-3', 'done');
  });

  it('ignore sets a record aside', async () => {
    await push(q.url, token, [seedOrder('OP-4', 'no-such-shop')]);
    const failed = await statusOf('OP-4', 'error');
    const r = await api('POST', '/api/schemes/seed/records/ignore', { ids: [failed.id] });
    expect(r.body.ignored).toBe(1);
    expect((await record('OP-4')).statusName).toBe('ignored');
  });

  it('a stopped scheme keeps accepting pushes but sends nothing until started', async () => {
    expect((await api('POST', '/api/schemes/seed/stop')).body).toMatchObject({ enabled: false, running: false });
    const r = await push(q.url, token, [seedOrder('OP-5')]);
    expect(r.body.accepted).toBe(1);
    await new Promise((res) => setTimeout(res, 500));
    expect((await record('OP-5')).statusName).toBe('pending');
    expect((await api('POST', '/api/schemes/seed/start')).body).toMatchObject({ enabled: true, running: true });
    await statusOf('OP-5', 'done');
  });

  it('exposes Prometheus metrics for intake, calls and backlog', async () => {
    const text = await (await fetch(`${q.url}/metrics`)).text();
    expect(text).toMatch(/qiao_intake_records_total\{scheme="seed",outcome="accepted"\} \d+/);
    expect(text).toMatch(/qiao_target_calls_total\{connector="wdt-sandbox",api="trade_push",outcome="ok"\} \d+/);
    expect(text).toMatch(/qiao_records\{scheme="seed",status="done"\} \d+/);
    expect(text).not.toContain('qiaodemo-secret');
  });
});
