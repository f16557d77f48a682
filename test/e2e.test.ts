/**
 * The seed scheme end to end, over real HTTP on loopback: push seed-shaped orders into Qiao, and assert exactly
 * what the WDT sandbox stored through signed trade_push calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import type { RunningQiao } from '../src/server/index.ts';
import { getJson, getToken, push, seedOrder, seedWorkspace, startServer, waitFor } from './helpers.ts';

type SimTrade = Record<string, any>;
/** Raw orders (原始订单) as the sandbox stored them: the pushed trade plus the sandbox's push count. */
const simTrades = async (base: string): Promise<SimTrade[]> => {
  const body = (await getJson(`${base}_sim/trades`)) as { trades: Array<{ tid: string; shop_no: string; push_count: number; trade: SimTrade }> };
  return body.trades.map((t) => ({ ...t.trade, tid: t.tid, shop_no: t.shop_no, push_count: t.push_count }));
};

describe('OpenCallback → WDT trade_push against a standalone sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof startWdtSandbox>>;
  let q: RunningQiao;
  let token: string;

  beforeAll(async () => {
    sandbox = await startWdtSandbox({ host: '127.0.0.1', port: 0 });
    q = await startServer(seedWorkspace({ wdtBaseUrl: sandbox.url, noMountedSandbox: true }));
    token = await getToken(q.url);
  });
  afterAll(async () => {
    await q?.close();
    await sandbox?.close();
  });

  it('delivers 130 orders from two shops, in batches of at most 50, mapped field by field', async () => {
    const orders = Array.from({ length: 130 }, (_, i) => seedOrder(`E2E-${String(i).padStart(4, '0')}`, i % 2 ? 'api_test' : 'qiaodemo-test', 1 + (i % 3)));
    // Pushed in a few bodies, as a shop system would.
    for (let i = 0; i < orders.length; i += 40) {
      const r = await push(q.url, token, orders.slice(i, i + 40));
      expect(r.status).toBe(200);
      expect(r.body.rejected).toBe(0);
    }
    const counts = await waitFor(async () => {
      const s = await getJson(`${q.url}/api/schemes`, token);
      const c = s.schemes[0].counts;
      return c.done === 130 ? c : undefined;
    }, 30_000, 'all 130 records done');
    expect(counts).toMatchObject({ done: 130, error: 0, pending: 0, queued: 0 });

    const stored = await simTrades(sandbox.url);
    expect(stored).toHaveLength(130);
    const byTid = new Map(stored.map((t) => [t.tid, t]));
    for (const o of orders) {
      const t = byTid.get(o.tid)!;
      expect(t, `trade ${o.tid as string}`).toBeDefined();
      expect(t.shop_no).toBe(o.shop_no);
      // Autofilled and explicitly mapped header fields arrive unchanged, Chinese and emoji intact.
      for (const f of ['trade_status', 'pay_status', 'delivery_term', 'trade_time', 'pay_time', 'buyer_nick', 'receiver_name', 'receiver_province', 'receiver_city', 'receiver_district', 'receiver_address', 'receiver_mobile', 'logistics_type', 'post_amount', 'cod_amount', 'ext_cod_fee', 'other_amount', 'paid'])
        expect(String(t[f]), `${o.tid as string}.${f}`).toBe(String(o[f]));
      const lines = o.order_list as Record<string, unknown>[];
      expect(t.order_list).toHaveLength(lines.length);
      lines.forEach((line, i) => {
        for (const f of ['oid', 'num', 'price', 'status', 'refund_status', 'goods_id', 'goods_no', 'spec_no', 'goods_name', 'adjust_amount', 'discount', 'share_discount'])
          expect(String(t.order_list[i][f]), `${o.tid as string}.order_list[${i}].${f}`).toBe(String(line[f]));
      });
      // Source fields WDT does not know are not sent.
      expect(t).not.toHaveProperty('number');
    }
  });

  it('keeps a trace per record: mapped request, the signed call with secrets masked, the response', async () => {
    const list = await getJson(`${q.url}/api/schemes/seed/records?status=done&limit=1`, token);
    const rec = await getJson(`${q.url}/api/schemes/seed/records/${list.rows[0].id}`, token);
    expect(rec.statusName).toBe('done');
    expect(rec.mapped.tid).toBe(rec.sourceId);
    const call = rec.history.find((h: { kind: string }) => h.kind === 'call').call;
    expect(call).toMatchObject({ api: 'trade_push', status: 200, outcome: 'ok' });
    expect(call.url).toBe(`${sandbox.url}trade_push.php`);
    expect(call.request.sign).toBe('***');
    expect(JSON.stringify(rec)).not.toContain('qiaodemo-secret');
    expect(JSON.parse(call.response).code).toBe(0);
  });

  it('a re-pushed order with idCheck false is sent again and counted as changed by WDT', async () => {
    const o = seedOrder('E2E-0001', 'api_test', 2);
    const r = await push(q.url, token, [{ ...o, trade_status: '50' }], 'seed', { idCheck: false });
    expect(r.body.accepted).toBe(1);
    await waitFor(async () => (await simTrades(sandbox.url)).find((t) => t.tid === 'E2E-0001' && String(t.trade_status) === '50'), 10_000, 'updated trade');
  });

  it('a business error from WDT marks only that record as error, with WDT\'s message', async () => {
    const bad = seedOrder('E2E-BADSHOP', 'no-such-shop', 1);
    const r = await push(q.url, token, [bad, seedOrder('E2E-GOOD', 'no-such-shop', 1)]);
    expect(r.body.accepted).toBe(2);
    const rec = await waitFor(async () => {
      const l = await getJson(`${q.url}/api/schemes/seed/records?status=error`, token);
      return l.rows.find((x: { sourceId: string }) => x.sourceId === 'E2E-BADSHOP');
    }, 10_000, 'error record');
    expect(rec.error).toMatch(/店铺|shop/);
    expect(rec.attempts).toBe(1);
  });
});

describe('the default workspace: sandbox mounted in the server itself', () => {
  let q: RunningQiao;
  beforeAll(async () => {
    q = await startServer(seedWorkspace());
  });
  afterAll(async () => {
    await q?.close();
  });

  it('pushes the sample order and sees it as a raw order in /sandbox/wdt/openapi2/', async () => {
    const token = await getToken(q.url);
    const sample = (await import('../examples/seed/sample-order.json', { with: { type: 'json' } })).default as { content: SimTrade[] };
    const r = await push(q.url, token, sample.content);
    expect(r.status).toBe(200);
    const trade = await waitFor(async () => (await simTrades(`${q.url}/sandbox/wdt/openapi2/`)).find((t) => t.tid === 'QIAO-DEMO-0001'), 10_000, 'sample order in sandbox');
    expect(trade.buyer_nick).toBe('桥的第一位客户');
    expect(trade.order_list[0].goods_name).toBe('西湖龙井');
    const l = await getJson(`${q.url}/api/schemes/seed/records?status=done`, token);
    expect(l.rows.map((x: { sourceId: string }) => x.sourceId)).toContain('QIAO-DEMO-0001');
  });
});
