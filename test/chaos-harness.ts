/**
 * Kill -9 loops against a real `qiao serve` child process: orders are pushed continuously while the server is
 * killed with SIGKILL at random moments and restarted; a pusher re-sends whatever was not acknowledged, as a
 * real shop system would. Afterwards every acknowledged tid must be in the WDT sandbox. Used by the chaos test
 * and by `npm run bench:chaos`.
 */
import type { ChildProcess } from 'node:child_process';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import { freePort } from '../src/server/index.ts';
import { DEMO_APP, seedOrder, seedWorkspace, spawnServe, tmpDir, waitFor } from './helpers.ts';

export interface ChaosOptions {
  orders: number;
  kills: number;
  bodySize?: number;
  /** Pause between pushes of one pusher, so kills land during intake too. */
  pushDelayMs?: number;
  /** Orders per trade_push call. */
  batchSize?: number;
  /** Sandbox faults while it runs (latency, lost answers …). */
  faults?: object;
  log?: (line: string) => void;
}

export interface ChaosResult {
  pushed: number;
  acknowledged: number;
  delivered: number;
  lost: number;
  /** Trades WDT received more than once (replays after a crash between the call and the settle). */
  duplicateEffects: number;
  kills: number;
  ms: number;
}

export async function runKillLoop(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => {});
  const sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0, faults: o.faults as never });
  const ws = seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true, options: { retryLadder: [0.2, 0.5, 1], maxRetries: 1000, batchSize: o.batchSize ?? 50 } });
  const data = tmpDir('qiao-chaos-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const startServer = async () => {
    child = await spawnServe(ws, data, port, { logLevel: 'error' });
  };
  const started = Date.now();
  await startServer();

  const acknowledged = new Set<string>();
  let pushed = 0;
  const bodySize = o.bodySize ?? 20;
  const bodies: string[][] = [];
  for (let i = 0; i < o.orders; i += bodySize) bodies.push(Array.from({ length: Math.min(bodySize, o.orders - i) }, (_, k) => `CH-${i + k}`));

  let token = '';
  const pushBody = async (tids: string[]): Promise<void> => {
    for (;;) {
      try {
        if (!token) {
          const r = await fetch(`${url}/v2/oauth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(DEMO_APP) });
          token = ((await r.json()) as { access_token: string }).access_token;
        }
        const r = await fetch(`${url}/v2/open-api/business/seed/store`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ content: tids.map((t) => seedOrder(t, 'api_test', 1)) }),
        });
        const body = (await r.json()) as { results: Array<{ id: string; status: string }> };
        pushed += tids.length;
        for (const x of body.results) if (x.status === 'accepted' || x.status === 'duplicate') acknowledged.add(x.id);
        return;
      } catch {
        // Server down (being killed / restarting): not acknowledged, so push the same body again.
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  let next = 0;
  const pusher = async () => {
    while (next < bodies.length) {
      await pushBody(bodies[next++]);
      if (o.pushDelayMs) await new Promise((r) => setTimeout(r, o.pushDelayMs));
    }
  };
  const pushing = Promise.all([pusher(), pusher()]);

  let kills = 0;
  while (kills < o.kills) {
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
    child!.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    kills++;
    log(`kill ${kills}: ${acknowledged.size} acknowledged so far`);
    await startServer();
  }
  await pushing;
  const trades = async () => (await (await fetch(`${sandbox.url}_sim/trades?limit=100000`)).json()) as { trades: Array<{ tid: string; push_count: number }> };
  await waitFor(async () => {
    const t = await trades();
    return [...acknowledged].every((tid) => t.trades.some((x) => x.tid === tid)) ? true : undefined;
  }, 120_000, 'every acknowledged order delivered').catch(() => undefined);
  const t = await trades();
  const delivered = new Set(t.trades.map((x) => x.tid));
  const result: ChaosResult = {
    pushed,
    acknowledged: acknowledged.size,
    delivered: [...acknowledged].filter((tid) => delivered.has(tid)).length,
    lost: [...acknowledged].filter((tid) => !delivered.has(tid)).length,
    duplicateEffects: t.trades.filter((x) => x.push_count > 1).length,
    kills,
    ms: Date.now() - started,
  };
  child!.kill('SIGKILL');
  await sandbox.close();
  return result;
}
