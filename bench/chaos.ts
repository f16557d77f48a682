/**
 * `npm run bench:chaos`: the delivery promises under fire, each server a real child process.
 *
 *  1. Kill -9 loop: orders pushed while the server is SIGKILLed at random moments and restarted; WDT answers
 *     are sometimes lost after WDT applied them. Prints pushed, acknowledged, delivered, lost (must be 0) and
 *     duplicate effects (replays WDT saw as updates of the same tid: harmless upserts).
 *  2. Outage: WDT answers 502 for a while, then recovers; time from recovery until every order is delivered,
 *     with no human action.
 *  3. Backlog: the target is unreachable while BENCH_BACKLOG records (default 1,000,000) are pushed; the
 *     server's peak RSS (goal < 300 MB) and the intake rate with a growing backlog.
 *
 * Env: BENCH_CHAOS_ORDERS (5000), BENCH_CHAOS_KILLS (5), BENCH_BACKLOG (1000000).
 */
import type { ChildProcess } from 'node:child_process';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import { freePort } from '../src/server/index.ts';
import { runKillLoop } from '../test/chaos-harness.ts';
import { getJson, getToken, killSpawned, peakRssMB, rssMB, seedOrder, seedWorkspace, spawnServe, tmpDir, waitFor } from '../test/helpers.ts';

const ORDERS = Number(process.env.BENCH_CHAOS_ORDERS ?? 5000);
const KILLS = Number(process.env.BENCH_CHAOS_KILLS ?? 5);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
async function serve(ws: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = await spawnServe(ws, tmpDir('qiao-bench-'), port, { logLevel: 'error' });
  return { url: `http://127.0.0.1:${port}`, child };
}


async function pushAll(url: string, token: string, tids: string[], bodySize: number, pushers: number): Promise<void> {
  let next = 0;
  const one = async () => {
    while (next < tids.length) {
      const slice = tids.slice(next, (next += bodySize));
      const r = await fetch(`${url}/v2/open-api/business/seed/store`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ content: slice.map((t) => seedOrder(t, 'api_test', 1)) }),
      });
      if (!r.ok) throw new Error(`push failed: ${r.status}`);
      await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: pushers }, one));
}

async function killLoop(): Promise<void> {
  const r = await runKillLoop({
    orders: ORDERS,
    kills: KILLS,
    bodySize: 10,
    pushDelayMs: 10,
    batchSize: 10,
    faults: { trade_push: { latencyMs: 40, garbageRate: 0.02, phase: 'after' } },
  });
  console.log(`kill -9 loop: ${r.kills} kills, pushed ${r.pushed}, acknowledged ${r.acknowledged}, delivered ${r.delivered}, lost ${r.lost}, duplicate effects ${r.duplicateEffects} (${(r.ms / 1000).toFixed(1)} s)`);
  if (r.lost) throw new Error('orders lost');
}

async function outage(): Promise<void> {
  const sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0, faults: { trade_push: { http502Rate: 1 } } });
  const { url } = await serve(seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true }));
  const token = await getToken(url);
  const n = 2000;
  await pushAll(url, token, Array.from({ length: n }, (_, i) => `OUT-${i}`), 100, 2);
  await new Promise((r) => setTimeout(r, 5000)); // 5 s of outage: the breaker opens, records wait
  const recovered = Date.now();
  await fetch(`${sandbox.url}_sim/faults`, { method: 'DELETE' });
  await waitFor(async () => (await getJson(`${url}/api/schemes`, token)).schemes[0].counts.done === n, 600_000, 'recovery');
  const stats = await getJson(`${sandbox.url}_sim/stats`);
  console.log(`outage: ${n} orders, target down 5 s, all delivered ${((Date.now() - recovered) / 1000).toFixed(1)} s after it came back (no human action); 502 answers seen ${stats.apis.trade_push.http_errors}`);
  await sandbox.close();
}

async function backlog(): Promise<void> {
  // Nothing listens on port 9: every call fails fast, the breaker opens, and the backlog only grows.
  const { url, child } = await serve(seedWorkspace({ wdtBaseUrl: 'http://127.0.0.1:9/openapi2/', noMountedSandbox: true }));
  const token = await getToken(url);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMB(child.pid!))), 250);
  const started = Date.now();
  const chunk = 50_000;
  for (let done = 0; done < BACKLOG; done += chunk) {
    const tids = Array.from({ length: Math.min(chunk, BACKLOG - done) }, (_, i) => `BL-${done + i}`);
    await pushAll(url, token, tids, 500, 4);
  }
  const ms = Date.now() - started;
  const t0 = Date.now();
  const counts = (await getJson(`${url}/api/schemes`, token)).schemes[0].counts;
  const countMs = Date.now() - t0;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, peakRssMB(child.pid!));
  console.log(`backlog: ${BACKLOG} records pushed in ${(ms / 1000).toFixed(1)} s (${Math.round((BACKLOG / ms) * 1000)} records/s, bodies of 500) with the target down`);
  console.log(`        backlog pending+queued ${counts.pending + counts.queued}; server peak RSS ${peakRss.toFixed(0)} MB; GET /api/schemes took ${countMs} ms`);
}

try {
  await killLoop();
  await outage();
  await backlog();
} finally {
  killSpawned();
}
