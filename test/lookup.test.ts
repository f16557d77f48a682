/**
 * `_findCollection` in a running server: one scheme keeps reference data (货品档案 pushed into a 写入空操作 target),
 * the seed scheme looks each line's ERP goods name up from it while mapping, through an index on the looked-up
 * field. A lookup that finds nothing leaves the field empty; the store index is used.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import type { RunningQiao } from '../src/server/index.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { getJson, getToken, push, seedOrder, seedWorkspace, startServer, waitFor } from './helpers.ts';

let sandbox: Awaited<ReturnType<typeof startWdtSandbox>>;
let q: RunningQiao;
let token: string;

beforeAll(async () => {
  sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0 });
  const ws = seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true });
  fs.writeFileSync(path.join(ws, 'connectors/store.json'), JSON.stringify({ name: 'store', platform: 'qeasy', env: 'production', params: {} }));
  const goods = {
    id: 'goods',
    name: '货品档案 (参考数据)',
    source: {
      connector: 'callback',
      metadata: {
        api: 'OpenCallback', type: 'QUERY', id: 'spec_no', number: 'spec_no', idCheck: false,
        request: [
          { field: 'spec_no', label: '规格编码', type: 'string', is_required: true },
          { field: 'erp_name', label: 'ERP货品名称', type: 'string', is_required: true },
        ],
      },
    },
    target: { connector: 'store', metadata: { api: 'noop', request: [] } },
  };
  fs.writeFileSync(path.join(ws, 'schemes/goods.json'), JSON.stringify(goods));
  const seedFile = path.join(ws, 'schemes/seed.json');
  const seed = JSON.parse(fs.readFileSync(seedFile, 'utf8'));
  const lines = seed.target.metadata.request.find((f: { field: string }) => f.field === 'order_list');
  const name = lines.children.find((f: { field: string }) => f.field === 'goods_name');
  name.value = '_function COALESCE(_findCollection find erp_name from goods where spec_no={{order_list.spec_no}} _endFind, {{order_list.goods_name}})';
  fs.writeFileSync(seedFile, JSON.stringify(seed));
  q = await startServer(ws);
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
  await sandbox?.close();
});

describe('_findCollection', () => {
  it('maps each line from another scheme\'s stored records, falling back when there is none', async () => {
    await push(q.url, token, [{ spec_no: 'SP-0', erp_name: '西湖龙井 特级 250g' }], 'goods');
    await waitFor(async () => ((await getJson(`${q.url}/api/schemes/goods/records?status=done`, token)).total === 1 ? true : undefined), 10_000, 'goods stored');
    await push(q.url, token, [seedOrder('LK-1', 'api_test', 2)]);
    const trade = await waitFor(async () => (await getJson(`${sandbox.url}_sim/trades?tid=LK-1`)).trades[0]?.trade, 10_000, 'trade');
    expect(trade.order_list[0].goods_name).toBe('西湖龙井 特级 250g'); // SP-0 found in the goods scheme
    expect(trade.order_list[1].goods_name).toBe('龙井茶 2 号'); // SP-1 not there: the pushed name
  });

  it('the lookup uses an index on the looked-up field', async () => {
    const db = (q.store as SqliteStore).db;
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT source_id FROM records WHERE scheme_id = 'goods' AND CAST(json_extract(content, '$.spec_no') AS TEXT) = ?`)
      .all('SP-0') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX lookup_/);
  });
});
