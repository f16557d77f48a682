/**
 * `npm run example:stockout`: the example workspace in one command.
 *
 * Starts `qiao serve` on this folder (the WDT sandbox and the HTTP target simulator are mounted in the same
 * server), seeds the WDT sandbox with orders of the last three days (about 60 % shipped), runs the scheme once from
 * its start time, lets the warehouse ship more orders and runs again (only those are new), then keeps polling every
 * five minutes until Ctrl-C. `--once` stops after the two runs; `--port N` (default QIAO_PORT or 8080), `--seed N`
 * (default 300), `--data DIR` (default a fresh temporary folder).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startQiao } from '../../src/server/index.ts';

const here = path.dirname(new URL(import.meta.url).pathname);
const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const once = process.argv.includes('--once');
const port = Number(arg('port', process.env.QIAO_PORT ?? '8080'));
const seed = Number(arg('seed', '300'));
const dataDir = arg('data') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'qiao-example-'));
const SCHEME = 'stockout-to-http';
const APP = { app_key: 'qiao-demo', app_secret: 'qiao-demo-secret-change-me' };

const q = await startQiao({ workspace: here, dataDir, port, host: '127.0.0.1', logLevel: process.env.QIAO_LOG_LEVEL ?? 'warn' });
const say = (s = '') => process.stdout.write(`${s}\n`);
const wdt = `${q.url}/sandbox/wdt/openapi2/`;
const http = `${q.url}/sandbox/http`;

async function call(method: string, url: string, body?: unknown, token?: string): Promise<any> {
  const r = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await r.json();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(answer)}`);
  return answer;
}

const token = (await call('POST', `${q.url}/v2/oauth`, APP)).access_token as string;
const api = (method: string, p: string, body?: unknown) => call(method, `${q.url}${p}`, body, token);

async function delivered(expected: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const counts = (await api('GET', `/api/schemes/${SCHEME}/schedule?runs=0`)).counts;
    if (counts.done + counts.error >= expected || Date.now() - started > 60_000) return (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runNow(label: string): Promise<void> {
  const started = Date.now();
  const r = await api('POST', `/api/schemes/${SCHEME}/run`, { wait: true, timeoutMs: 120_000 });
  const run = r.schedule.source.runs[0];
  say(`${label}`);
  say(`   run #${run.id} ${run.status}: window ${run.windowFrom} → ${run.windowTo}, ${run.pages} page(s), ${run.rows} row(s) read, ` +
    `${run.accepted} new, ${run.duplicate} already stored (overlap), ${run.rejected} rejected — ${Date.now() - started} ms`);
  const counts = (await api('GET', `/api/schemes/${SCHEME}/schedule?runs=0`)).counts;
  const total = Object.values(counts as Record<string, number>).reduce((a, b) => a + b, 0) - counts.duplicate;
  const secs = await delivered(total);
  const received = (await call('GET', `${http}/_sim/received?limit=0`)).unique;
  say(`   delivered to the HTTP target: ${received} sales-outbound bill(s) in total (${secs.toFixed(1)} s after the run)`);
}

say(`Qiao example "wdt-stockout-to-http" on ${q.url}  (data: ${dataDir})`);
say(`   source  WDT sandbox     ${wdt}stockout_order_query_trade.php`);
say(`   target  HTTP simulator  ${http}/erp/sales-outbound/batch  (bearer token, success when $.code == 0)`);
await call('POST', `${wdt}_sim/reset`, { seed });
const state = await call('GET', `${wdt}_sim/state`);
const stockouts = JSON.stringify(state).match(/"stockouts":(\d+)/)?.[1];
say(`   seeded ${seed} orders over the last 3 days${stockouts ? `, ${stockouts} shipped (销售出库单)` : ''}`);
// Start from the configured start time (-3d), whatever a cron tick may have done before the seed.
await api('PUT', `/api/schemes/${SCHEME}/schedule/cursor`, { lastSyncTime: null });
say();
await runNow('1. first run: no LAST_SYNC_TIME yet, so the window starts at the start time (3 days ago)');
const shipped = await call('POST', `${wdt}_sim/ship`, { limit: 12 });
say();
say(`2. the warehouse ships ${shipped.shipped.length} more orders now`);
await runNow('   run again: the window starts 10 minutes before LAST_SYNC_TIME; only the new stockouts are sent');
const sample = (await call('GET', `${http}/_sim/received?limit=1`)).items[0];
say();
say(`   a bill as the ERP received it: ${JSON.stringify(sample.item)}`);

if (once) {
  await q.close();
  process.exit(0);
}
const sched = (await api('GET', `/api/schemes/${SCHEME}/schedule?runs=0`)).source;
const auth = `--url ${q.url} --app-key ${APP.app_key} --app-secret ${APP.app_secret}`;
say();
say(`Now polling on cron "${sched.cron}" (next run ${sched.nextRunAt}, Beijing time). Try, in another terminal:`);
say(`   curl -s -X POST ${wdt}_sim/ship -H 'content-type: application/json' -d '{"limit": 5}'   # ship 5 more`);
say(`   npx qiao scheme run ${SCHEME} --wait ${auth}`);
say(`   npx qiao scheme schedule ${SCHEME} ${auth}`);
say(`   curl -s '${http}/_sim/received?limit=2'`);
say('Ctrl-C stops.');
const stop = async () => {
  await q.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
