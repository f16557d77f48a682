/**
 * `npm run bench:polling`: records/s pulled from the WDT sandbox through a scheduled scheme into the HTTP target
 * simulator — the example workspace `wdt-stockout-to-http` (stockout_order_query_trade → map → HTTP batch POST).
 *
 *   WDT sandbox (own process, `qiao sim wdt --seed N`) ──pages of 100──► qiao serve (own process)
 *       ──intake, group commit──► store ──dispatcher, batches of 100──► HTTP simulator (this process)
 *
 * One run reads the seeded window (3 days, one chunk, page by page, each page a durable job); the clock stops when
 * the HTTP simulator holds every shipped stockout. The WDT connector's demo qps limit is lifted so the engine, not
 * the limit, is measured (with `limits.qps: 20` the read phase is bounded by 20 pages/s = 2,000 rows/s).
 *
 * Options (env): BENCH_POLL_ORDERS (30000 seeded orders, ~60 % shipped), BENCH_POLL_PAGE_SIZE (100).
 */
import fs from 'node:fs';
import path from 'node:path';
import { startHttpSandbox } from '../src/connectors/http/index.ts';
import { freePort } from '../src/server/index.ts';
import { getJson, getToken, killSpawned, peakRssMB, ROOT, spawnQiao, spawnServe, tmpDir, waitFor } from '../test/helpers.ts';

const ORDERS = Number(process.env.BENCH_POLL_ORDERS ?? 30_000);
const PAGE_SIZE = Number(process.env.BENCH_POLL_PAGE_SIZE ?? 100);
const SCHEME = 'stockout-to-http';

/** The example workspace, pointed at the standalone sandboxes. */
function benchWorkspace(wdtUrl: string, httpUrl: string): string {
  const dir = tmpDir('qiao-bench-poll-ws-');
  fs.cpSync(path.join(ROOT, 'examples/wdt-stockout-to-http'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'run.ts'), { force: true });
  fs.writeFileSync(path.join(dir, 'workspace.json'), '{"sandboxes": []}');
  const edit = (rel: string, fn: (o: any) => void) => {
    const f = path.join(dir, rel);
    const o = JSON.parse(fs.readFileSync(f, 'utf8'));
    fn(o);
    fs.writeFileSync(f, JSON.stringify(o, null, 2));
  };
  edit('connectors/wdt-sandbox.json', (c) => {
    c.params.base_url = wdtUrl;
    c.limits = { concurrency: 4 };
  });
  edit('connectors/erp-http.json', (c) => {
    c.params.base_url = httpUrl;
    c.limits = { concurrency: 8 };
  });
  edit(`schemes/${SCHEME}.json`, (s) => {
    s.source.schedule.pagination = { pageSize: PAGE_SIZE };
  });
  return dir;
}

async function main(): Promise<void> {
  const simPort = await freePort();
  const seedStarted = Date.now();
  spawnQiao(['sim', 'wdt', '--port', String(simPort), '--seed', String(ORDERS)], { stdio: 'ignore' });
  const wdtUrl = `http://127.0.0.1:${simPort}/openapi2/`;
  await waitFor(async () => (await fetch(`${wdtUrl}_sim/stats`)).ok, 120_000, 'WDT sandbox');
  const state = await getJson(`${wdtUrl}_sim/state`);
  const shipped: number = state.accounts[0].counts.stockouts;
  const target = await startHttpSandbox({ auth: 'demo', keepItems: 1000 });
  const ws = benchWorkspace(wdtUrl, target.url);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await spawnServe(ws, tmpDir('qiao-bench-poll-'), port);
  const token = await getToken(url, { app_key: 'qiao-demo', app_secret: 'qiao-demo-secret-change-me' });
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  console.log(`polling bench: ${ORDERS} seeded orders, ${shipped} shipped stockouts (sandbox ready in ${Date.now() - seedStarted} ms), pages of ${PAGE_SIZE}`);

  const started = Date.now();
  const r = await fetch(`${url}/api/schemes/${SCHEME}/run`, { method: 'POST', headers: auth, body: JSON.stringify({ wait: true, timeoutMs: 600_000 }) });
  const answer = (await r.json()) as any;
  if (r.status !== 200) throw new Error(`run: ${r.status} ${JSON.stringify(answer)}`);
  const pulledMs = Date.now() - started;
  const run = answer.schedule.source.runs[0];
  await waitFor(async () => target.state.unique >= shipped, 600_000, 'delivery to the HTTP simulator');
  const ms = Date.now() - started;
  if (run.accepted !== shipped) throw new Error(`stored ${run.accepted} of ${shipped} stockouts`);
  const wdtStats = await getJson(`${wdtUrl}_sim/stats`);
  const calls = JSON.stringify(wdtStats).match(/"stockout_order_query_trade":\{"calls":(\d+)/)?.[1] ?? '?';
  console.log(`pulled + stored: ${Math.round((shipped / pulledMs) * 1000)} records/s (${run.pages} pages, ${calls} query calls, ${shipped} records in ${pulledMs} ms)`);
  console.log(`end to end:      ${Math.round((shipped / ms) * 1000)} records/s pulled from the WDT sandbox into the HTTP target (${shipped} in ${ms} ms; ` +
    `${target.state.stats.writes} HTTP writes of up to 100, ${target.state.total} items received, ${target.state.unique} unique)`);
  console.log(`        server peak RSS ${peakRssMB(server.pid!).toFixed(0)} MB`);
  await target.close();
}

try {
  await main();
} finally {
  killSpawned();
}
