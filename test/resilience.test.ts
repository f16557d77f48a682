/**
 * Faults on the real WDT sandbox, no human action: rate-limit storms, hanging calls, an outage that opens the
 * circuit breaker and then recovers, an operator pause, QPS limits, and one id's updates kept in order.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import type { RunningQiao } from '../src/server/index.ts';
import { getJson, getToken, push, seedOrder, seedWorkspace, setSimFaults, startServer, waitFor } from './helpers.ts';

let sandbox: Awaited<ReturnType<typeof startWdtSandbox>>;
let q: RunningQiao;
let token: string;

const setFaults = (faults: object | null) => setSimFaults(sandbox.url, faults);
const counts = async () => (await getJson(`${q.url}/api/schemes`, token)).schemes[0].counts;
const stats = async () => (await getJson(`${sandbox.url}_sim/stats`)).apis.trade_push ?? { calls: 0, codes: {} };
const allDone = (n: number) => waitFor(async () => ((await counts()).done === n ? true : undefined), 30_000, `${n} done`);

beforeAll(async () => {
  sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0 });
  q = await startServer(
    seedWorkspace({
      wdtBaseUrl: sandbox.url,
      noMountedSandbox: true,
      // Small batches make many calls; short ladders and cooldowns keep the test quick.
      options: { batchSize: 5, retryLadder: [0.2, 0.5, 1], maxRetries: 50 },
      connectorParams: { timeout_ms: 400 },
      connectorLimits: { concurrency: 4, breakerThreshold: 3, breakerCooldownMs: 400 },
    }),
  );
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
  await sandbox?.close();
});
beforeEach(async () => {
  await setFaults(null);
  await fetch(`${sandbox.url}_sim/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
});

let done = 0;
describe('without a human', () => {
  it('a rate-limit storm slows the connector down; every order still arrives, none as error', async () => {
    await setFaults({ trade_push: { qps: 3 } });
    const orders = Array.from({ length: 100 }, (_, i) => seedOrder(`RL-${i}`));
    await push(q.url, token, orders);
    await allDone((done += 100));
    const s = await stats();
    expect(Object.values(s.codes as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0); // it was rate-limited
    expect((await counts()).error).toBe(0);
    expect(s.new_count).toBe(100);
  });

  it('a hanging call times out and is retried', async () => {
    await setFaults({ trade_push: { hangRate: 1, times: 1 } });
    await push(q.url, token, [seedOrder('HANG-1')]);
    await allDone((done += 1));
    const l = await getJson(`${q.url}/api/schemes/seed/records?status=done&limit=1`, token);
    const rec = await getJson(`${q.url}/api/schemes/seed/records/${l.rows[0].id}`, token);
    expect(rec.sourceId).toBe('HANG-1');
    expect(rec.history.find((h: { call?: { outcome: string } }) => h.call?.outcome === 'transient').call.error).toMatch(/timeout|timed out|超时/i);
  });

  it('an outage opens the breaker (calls stop), and recovery delivers everything', async () => {
    await setFaults({ trade_push: { http502Rate: 1 } });
    await push(q.url, token, Array.from({ length: 30 }, (_, i) => seedOrder(`OUT-${i}`)));
    await waitFor(async () => /qiao_connector_breaker_state\{connector="wdt-sandbox"\} [12]/.test(await (await fetch(`${q.url}/metrics`)).text()), 10_000, 'breaker open');
    const during = (await stats()).calls;
    await new Promise((r) => setTimeout(r, 300));
    // While open, only the occasional probe reaches the target, not every record's retry.
    expect((await stats()).calls - during).toBeLessThanOrEqual(2);
    await setFaults(null);
    await allDone((done += 30));
    expect((await counts()).error).toBe(0);
    expect(/qiao_connector_breaker_state\{connector="wdt-sandbox"\} 0/.test(await (await fetch(`${q.url}/metrics`)).text())).toBe(true);
  });

  it('respects the connector QPS limit: a target allowing 25 calls/s never rate-limits a connector set to 20', async () => {
    const ws = seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true, options: { batchSize: 1 }, connectorLimits: { qps: 20, concurrency: 8 } });
    const q2 = await startServer(ws);
    try {
      await setFaults({ trade_push: { qps: 25 } });
      const t2 = await getToken(q2.url);
      await push(q2.url, t2, Array.from({ length: 60 }, (_, i) => seedOrder(`QPS-${i}`)));
      await waitFor(async () => ((await getJson(`${q2.url}/api/schemes`, t2)).schemes[0].counts.done === 60 ? true : undefined), 30_000, 'qps done');
      expect((await stats()).codes).toEqual({});
    } finally {
      await q2.close();
    }
  });
});

describe('operator pause and order', () => {
  it('a paused connector holds its records; resume sends them', async () => {
    const pause = await fetch(`${q.url}/api/connectors/wdt-sandbox/pause`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(((await pause.json()) as { paused: boolean }).paused).toBe(true);
    await push(q.url, token, [seedOrder('PAUSE-1')]);
    await new Promise((r) => setTimeout(r, 400));
    expect((await stats()).calls).toBe(0);
    await fetch(`${q.url}/api/connectors/wdt-sandbox/resume`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await allDone((done += 1));
  });

  it('re-pushes of one tid reach WDT in arrival order: the last status wins', async () => {
    await setFaults({ trade_push: { latencyMs: 30 } });
    const statuses = ['30', '40', '50', '70'];
    for (const s of statuses) await push(q.url, token, [{ ...seedOrder('ORD-1'), trade_status: s }], 'seed', { idCheck: false });
    await waitFor(async () => {
      const { trades } = await getJson(`${sandbox.url}_sim/trades?tid=ORD-1`);
      return trades[0]?.trade.trade_status === '70' || trades[0]?.trade.trade_status === 70 ? true : undefined;
    }, 10_000, 'last status');
    await allDone((done += 1));
    const { trades } = await getJson(`${sandbox.url}_sim/trades?tid=ORD-1`);
    expect(String(trades[0].trade.trade_status)).toBe('70');
  });

  it('idCheck "changed" re-sends an id only when its content changed', async () => {
    const o = seedOrder('CHG-1');
    expect((await push(q.url, token, [o], 'seed', { idCheck: 'changed' })).body.results[0].status).toBe('accepted');
    await allDone((done += 1));
    expect((await push(q.url, token, [o], 'seed', { idCheck: 'changed' })).body.results[0].status).toBe('duplicate');
    expect((await push(q.url, token, [{ ...o, receiver_mobile: '13911112222' }], 'seed', { idCheck: 'changed' })).body.results[0].status).toBe('accepted');
    await waitFor(async () => (await getJson(`${sandbox.url}_sim/trades?tid=CHG-1`)).trades[0]?.trade.receiver_mobile === '13911112222', 10_000, 'changed content sent');
  });
});

describe('replays', () => {
  it('an answer lost after WDT applied the trade is retried: one trade, counted as changed, and the trace shows both calls', async () => {
    await setFaults({ trade_push: { garbageRate: 1, times: 1, phase: 'after' } });
    await push(q.url, token, [seedOrder('REPLAY-1')]);
    done += 1;
    const rec = await waitFor(async () => {
      const l = await getJson(`${q.url}/api/schemes/seed/records?status=done&limit=1000`, token);
      const row = l.rows.find((x: { sourceId: string }) => x.sourceId === 'REPLAY-1');
      return row && getJson(`${q.url}/api/schemes/seed/records/${row.id}`, token);
    }, 10_000, 'REPLAY-1 done');
    const { trades } = await getJson(`${sandbox.url}_sim/trades?tid=REPLAY-1`);
    expect(trades).toHaveLength(1);
    expect(trades[0].push_count).toBe(2);
    expect((await stats()).new_count).toBe(1);
    expect(rec.history.filter((h: { kind: string }) => h.kind === 'call').map((h: { call: { outcome: string } }) => h.call.outcome)).toEqual(['transient', 'ok']);
  });
});

describe('CLI', () => {
  it('qiao connector pause / resume', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { ROOT, DEMO_APP } = await import('./helpers.ts');
    const run = (action: string) =>
      promisify(execFile)(process.execPath, [`${ROOT}/bin/qiao.mjs`, 'connector', action, 'wdt-sandbox', '--url', q.url, '--app-key', DEMO_APP.app_key, '--app-secret', DEMO_APP.app_secret], { encoding: 'utf8' });
    expect((await run('pause')).stdout).toMatch(/wdt-sandbox: paused/);
    expect((await run('resume')).stdout).toMatch(/wdt-sandbox: running/);
  });
});
