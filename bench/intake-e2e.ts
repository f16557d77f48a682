/**
 * `npm run bench`: the seed scheme's two headline figures, each server in its own process on loopback.
 *
 *  1. Durable push intake: single-order POSTs from 50 connections (autocannon) into a stopped scheme, so only
 *     intake (validate + group commit with fsync) is measured. Records/s acknowledged.
 *  2. End to end: orders pushed in bodies of 100 into a running scheme whose target is a WDT sandbox in a
 *     third process; orders/s from the first push until the sandbox holds them all.
 *
 * Options (env): BENCH_INTAKE_SECONDS (10), BENCH_E2E_ORDERS (20000).
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../src/server/index.ts';
import { getJson, getToken, killSpawned, peakRssMB, seedOrder, seedWorkspace, spawnQiao, spawnServe, tmpDir, waitFor } from '../test/helpers.ts';

const INTAKE_SECONDS = Number(process.env.BENCH_INTAKE_SECONDS ?? 10);
const E2E_ORDERS = Number(process.env.BENCH_E2E_ORDERS ?? 20_000);
async function serve(ws: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const child = await spawnServe(ws, tmpDir('qiao-bench-'), port);
  return { url: `http://127.0.0.1:${port}`, child };
}

async function benchIntake(): Promise<void> {
  const ws = seedWorkspace({ noMountedSandbox: true, wdtBaseUrl: 'http://127.0.0.1:9/openapi2/' });
  const f = path.join(ws, 'schemes/seed.json');
  fs.writeFileSync(f, JSON.stringify({ ...JSON.parse(fs.readFileSync(f, 'utf8')), enabled: false }));
  const { url } = await serve(ws, await freePort());
  const token = await getToken(url);
  const template = seedOrder('TEMPLATE', 'api_test', 2);
  let n = 0;
  const result = await autocannon({
    url: `${url}/v2/open-api/business/seed/store`,
    connections: 50,
    duration: INTAKE_SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        setupRequest: (req) => {
          const tid = `B-${process.pid}-${n++}`;
          return { ...req, body: JSON.stringify({ content: [{ ...template, tid }] }) };
        },
      },
    ],
  });
  const ok = result['2xx'];
  const counts = (await getJson(`${url}/api/schemes`, token)).schemes[0].counts;
  console.log(`intake: ${Math.round(ok / INTAKE_SECONDS)} records/s durable (single-order POSTs, 50 connections, ${INTAKE_SECONDS} s)`);
  console.log(`        latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; non-2xx ${result.non2xx}; errors ${result.errors}`);
  console.log(`        stored pending ${counts.pending} (acknowledged ${ok})`);
  if (counts.pending < ok) throw new Error('acknowledged records missing from the store');
}

async function benchEndToEnd(): Promise<void> {
  const simPort = await freePort();
  const sim = spawnQiao(['sim', 'wdt', '--port', String(simPort)], { stdio: 'ignore' });
  const simUrl = `http://127.0.0.1:${simPort}/openapi2/`;
  await waitFor(async () => (await fetch(`${simUrl}_sim/stats`)).ok, 30_000, 'sandbox');
  const ws = seedWorkspace({ noMountedSandbox: true, wdtBaseUrl: simUrl, connectorLimits: { concurrency: 8 } });
  const port = await freePort();
  const { url, child: server } = await serve(ws, port);
  const token = await getToken(url);
  const started = Date.now();
  const bodies: unknown[][] = [];
  for (let i = 0; i < E2E_ORDERS; i += 100)
    bodies.push(Array.from({ length: Math.min(100, E2E_ORDERS - i) }, (_, k) => seedOrder(`E-${i + k}`, 'api_test', 2)));
  let next = 0;
  const pusher = async () => {
    while (next < bodies.length) {
      const content = bodies[next++];
      const r = await fetch(`${url}/v2/open-api/business/seed/store`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ content }),
      });
      if (!r.ok) throw new Error(`push failed: ${r.status}`);
      await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 4 }, pusher));
  const pushedMs = Date.now() - started;
  await waitFor(async () => (await getJson(`${url}/api/schemes`, token)).schemes[0].counts.done >= E2E_ORDERS, 600_000, 'delivery');
  const ms = Date.now() - started;
  const stats = await getJson(`${simUrl}_sim/stats`);
  console.log(`end to end: ${Math.round((E2E_ORDERS / ms) * 1000)} orders/s delivered (${E2E_ORDERS} orders, pushed in ${pushedMs} ms, all delivered in ${ms} ms)`);
  console.log(`        sandbox: ${JSON.stringify(stats).slice(0, 300)}`);
  console.log(`        server peak RSS ${peakRssMB(server.pid!).toFixed(0)} MB`);
  sim.kill();
}

try {
  await benchIntake();
  await benchEndToEnd();
} finally {
  killSpawned();
}
