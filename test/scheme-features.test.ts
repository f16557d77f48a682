/**
 * The mapping engine's scheme-level features running inside the real dispatcher, end to end through the WDT
 * sandbox: beatFlat on the source and groupCalculate on the target (lines stored one per record, merged back
 * into one trade per tid), value maps from the workspace, and a loud failure when a map has no entry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import type { RunningQiao } from '../src/server/index.ts';
import { getJson, getToken, push, seedOrder, seedWorkspace, startServer, waitFor } from './helpers.ts';

let sandbox: Awaited<ReturnType<typeof startWdtSandbox>>;
let q: RunningQiao;
let token: string;

beforeAll(async () => {
  sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0 });
  const ws = seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true });
  const seed = JSON.parse(fs.readFileSync(path.join(ws, 'schemes/seed.json'), 'utf8'));
  const lines = structuredClone(seed);
  lines.id = 'lines';
  lines.name = '按明细行存储, 按原始单号合并推送';
  lines.source.metadata.beatFlat = ['order_list'];
  const target = lines.target.metadata;
  target.groupCalculate = { headerGroup: ['_beatFlatSourceId'], bodyName: 'order_list', targetBodyName: 'order_list' };
  target.request.find((f: { field: string }) => f.field === 'tid').value = '{{_beatFlatSourceId}}';
  target.request.find((f: { field: string }) => f.field === 'warehouse_no').value = '{{shop_no}}';
  target.request.find((f: { field: string }) => f.field === 'warehouse_no').map = 'shop_to_warehouse';
  fs.writeFileSync(path.join(ws, 'schemes/lines.json'), JSON.stringify(lines, null, 2));
  fs.mkdirSync(path.join(ws, 'maps'));
  fs.writeFileSync(path.join(ws, 'maps/shop_to_warehouse.json'), JSON.stringify({ entries: { api_test: 'WH01' }, onMissing: 'error' }));
  q = await startServer(ws);
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
  await sandbox?.close();
});

describe('beatFlat + groupCalculate + value maps in the dispatcher', () => {
  it('stores one record per line and sends one trade per tid with all its lines', async () => {
    const r = await push(q.url, token, [seedOrder('GC-1', 'api_test', 3), seedOrder('GC-2', 'api_test', 2)], 'lines');
    expect(r.status).toBe(200);
    const done = await waitFor(async () => {
      const l = await getJson(`${q.url}/api/schemes/lines/records?status=done`, token);
      return l.total === 5 ? l : undefined;
    }, 10_000, 'five line records done');
    expect(done.rows.map((x: { sourceId: string }) => x.sourceId).sort()).toEqual(['GC-1-1', 'GC-1-2', 'GC-1-3', 'GC-2-1', 'GC-2-2']);
    const { trades } = await getJson(`${sandbox.url}_sim/trades`);
    const byTid = new Map(trades.map((t: { tid: string; trade: Record<string, any> }) => [t.tid, t.trade]));
    expect([...byTid.keys()].sort()).toEqual(['GC-1', 'GC-2']);
    const gc1 = byTid.get('GC-1') as Record<string, any>;
    expect(gc1.order_list.map((l: { oid: string }) => l.oid)).toEqual(['GC-1-1', 'GC-1-2', 'GC-1-3']);
    expect(gc1.warehouse_no).toBe('WH01'); // from maps/shop_to_warehouse.json
    // Every line record's trace shows the one call that carried its trade.
    const rec = await getJson(`${q.url}/api/schemes/lines/records/${done.rows[0].id}`, token);
    expect(rec.mapped.order_list.length).toBeGreaterThan(1);
  });

  it('a value map without an entry fails the record loudly, naming the field, and sends nothing', async () => {
    const before = (await getJson(`${sandbox.url}_sim/stats`)).totals.calls;
    await push(q.url, token, [seedOrder('GC-3', 'qiaodemo-test', 1)], 'lines');
    const err = await waitFor(async () => {
      const l = await getJson(`${q.url}/api/schemes/lines/records?status=error`, token);
      return l.rows.find((x: { sourceId: string }) => x.sourceId === 'GC-3-1');
    }, 10_000, 'mapping error');
    expect(err.error).toMatch(/warehouse_no/);
    expect(err.error).toMatch(/qiaodemo-test/);
    expect((await getJson(`${sandbox.url}_sim/stats`)).totals.calls).toBe(before);
  });
});

describe('connector time zone', () => {
  it('formats times in the target connector\'s zone (Asia/Shanghai unless it says otherwise)', async () => {
    const sb = await startWdtSandbox({ host: '127.0.0.1', port: 0 });
    const results: Record<string, string> = {};
    for (const tz of [undefined, 'Asia/Tokyo']) {
      const ws = seedWorkspace({ wdtBaseUrl: sb.url, noMountedSandbox: true });
      const connFile = path.join(ws, 'connectors/wdt-sandbox.json');
      const conn = JSON.parse(fs.readFileSync(connFile, 'utf8'));
      if (tz) conn.timezone = tz;
      fs.writeFileSync(connFile, JSON.stringify(conn));
      const seedFile = path.join(ws, 'schemes/seed.json');
      const seed = JSON.parse(fs.readFileSync(seedFile, 'utf8'));
      seed.target.metadata.request.find((f: { field: string }) => f.field === 'seller_memo').value = '付款 {{pay_ts|datetime}}';
      fs.writeFileSync(seedFile, JSON.stringify(seed));
      const server = await startServer(ws);
      try {
        const t = await getToken(server.url);
        const tid = `TZ-${tz ?? 'default'}`;
        await push(server.url, t, [{ ...seedOrder(tid), pay_ts: 1700000000 }]);
        const trade = await waitFor(async () => (await getJson(`${sb.url}_sim/trades?tid=${tid}`)).trades[0]?.trade, 10_000, 'trade');
        results[tz ?? 'default'] = trade.seller_memo;
      } finally {
        await server.close();
      }
    }
    await sb.close();
    expect(results).toEqual({ default: '付款 2023-11-15 06:13:20', 'Asia/Tokyo': '付款 2023-11-15 07:13:20' });
  });

  it('an unknown time zone is refused at load with its path', async () => {
    const ws = seedWorkspace();
    const connFile = path.join(ws, 'connectors/wdt-sandbox.json');
    fs.writeFileSync(connFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(connFile, 'utf8')), timezone: 'Mars/Olympus' }));
    await expect(startServer(ws)).rejects.toMatchObject({ issues: [expect.objectContaining({ path: 'connectors/wdt-sandbox.json: timezone' })] });
  });
});
