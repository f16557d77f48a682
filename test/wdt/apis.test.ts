/** Every catalogue API round-trips through WdtClient and the sandbox, and the state hangs together. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WdtSandboxHandle, WdtClient } from '../../src/connectors/wdt/index.ts';
import { beijingAgo, beijingNow, client, json, sandbox, trade } from './helpers.ts';

let sb: WdtSandboxHandle;
let c: WdtClient;
beforeAll(async () => {
  sb = await sandbox();
  c = client(sb);
});
afterAll(async () => {
  await c.close();
  await sb.close();
});
beforeEach(() => sb.state.reset());

const lastHour = () => ({ start_time: beijingAgo(59 * 60_000), end_time: beijingNow() });
const lastDay = () => ({ start_time: beijingAgo(86400_000), end_time: beijingNow() });
const push = (...trades: unknown[]) => c.write('trade_push', { shop_no: 'api_test' }, trades);
const ship = (tids: string[]) => json(sb, '_sim/ship', { method: 'POST', body: { tids } });
const stock = async (wh: string, spec: string) => {
  const r = await c.query('stock_query', { spec_no: spec, warehouse_no: wh });
  return r.rows.length ? Number((r.rows[0] as any).stock_num) : 0;
};

describe('orders: trade_push → trade_query → ship → stockout_order_query_trade → logistics sync', () => {
  it('trade_query returns what was pushed, values as strings, total_count as a number', async () => {
    await push(trade('Q1', { seller_memo: '客服备注', buyer_message: '买家留言' }));
    const r = await c.query('trade_query', { ...lastHour(), page_no: 0, page_size: 10 });
    expect(r.total).toBe(1);
    const t = r.rows[0] as any;
    expect(t).toMatchObject({
      src_tids: 'Q1', trade_no: expect.stringMatching(/^JY\d+$/), trade_status: '30', shop_no: 'api_test', warehouse_no: 'WH01',
      receiver_name: '张三', receiver_province: '浙江省', post_amount: '8.0000', paid: '206.0000', cs_remark: '客服备注', buyer_message: '买家留言',
      goods_count: '2.0000', consign_time: '0000-00-00 00:00:00',
    });
    expect(t.goods_list[0]).toMatchObject({ src_oid: 'Q1-1', src_tid: 'Q1', spec_no: 'SKU001', num: '2.0000', price: '99.0000', share_amount: '198.0000' });
    expect(typeof t.trade_id).toBe('string');
  });

  it('pages from page_no 0, stable order, total on every page', async () => {
    await push(...['P1', 'P2', 'P3', 'P4', 'P5'].map((t) => trade(t)));
    const seen: string[] = [];
    for (let page = 0; page < 3; page++) {
      const r = await c.query('trade_query', { ...lastHour(), page_no: page, page_size: 2 });
      expect(r.total).toBe(5);
      seen.push(...r.rows.map((x: any) => x.src_tids));
    }
    expect(seen).toEqual(['P1', 'P2', 'P3', 'P4', 'P5']);
    const byTid = await c.query('trade_query', { src_tid: 'P3' });
    expect(byTid.rows.map((x: any) => x.src_tids)).toEqual(['P3']);
  });

  it('unpaid orders wait; refunded/closed ones are cancelled; already shipped ones arrive cancelled', async () => {
    await push(trade('U1', { trade_status: 10, pay_status: 0, pay_time: '0000-00-00 00:00:00' }), trade('U2', { trade_status: 50 }));
    const st = async (tid: string) => ((await c.query('trade_query', { src_tid: tid })).rows[0] as any).trade_status;
    expect(await st('U1')).toBe('10');
    expect(await st('U2')).toBe('5');
    await push(trade('U1'));
    expect(await st('U1')).toBe('30');
    await push(trade('U1', { trade_status: 80 }, { status: 80, refund_status: 5 }));
    expect(await st('U1')).toBe('5');
  });

  it('ship turns orders into 销售出库单 that stockout_order_query_trade returns, and moves stock', async () => {
    const before = await stock('WH01', 'SKU001');
    await push(trade('S1'), trade('S2'), trade('S3'));
    expect((await c.query('stockout_order_query_trade', lastDay())).total).toBe(0);
    const out = await ship(['S1', 'S2', 'NOPE']);
    expect(out.shipped.map((s: any) => s.tid)).toEqual(['S1', 'S2']);
    expect(out.skipped).toEqual([{ tid: 'NOPE', reason: '订单不存在' }]);
    const r = await c.query('stockout_order_query_trade', { ...lastDay(), page_size: 100 });
    expect(r.total).toBe(2);
    const so = r.rows[0] as any;
    expect(so).toMatchObject({ src_tids: 'S1', status: '95', order_no: expect.stringMatching(/^CK/), warehouse_no: 'WH01', logistics_no: expect.stringMatching(/^SIM/) });
    expect(so.details_list).toEqual([expect.objectContaining({ src_oid: 'S1-1', spec_no: 'SKU001', goods_count: '2.0000', sell_price: '99.0000' })]);
    expect(so.consign_time).not.toBe('0000-00-00 00:00:00');
    expect((await c.query('stockout_order_query_trade', { ...lastDay(), status: 95 })).total).toBe(2);
    expect((await c.query('stockout_order_query_trade', { src_tid: 'S2' })).rows).toHaveLength(1);
    expect((await c.query('stockout_order_query_trade', { ...lastDay(), status: 110 })).total).toBe(0);
    expect(await stock('WH01', 'SKU001')).toBe(before - 4);
    const tq = (await c.query('trade_query', { src_tid: 'S1' })).rows[0] as any;
    expect(tq).toMatchObject({ trade_status: '95', stockout_no: so.order_no, logistics_no: so.logistics_no });
    // shipping again is refused
    expect((await ship(['S1'])).skipped[0].reason).toMatch(/不可发货/);
  });

  it('is_auto_wms orders pushed as shipped are recorded shipped at once', async () => {
    await push(trade('AW1', { trade_status: 50, is_auto_wms: 1 }));
    expect(((await c.query('trade_query', { src_tid: 'AW1' })).rows[0] as any).trade_status).toBe('95');
    expect((await c.query('stockout_order_query_trade', { src_tid: 'AW1' })).rows).toHaveLength(1);
  });

  it('logistics_sync_query lists shipped orders until logistics_sync_ack; ack errors become itemErrors', async () => {
    await push(trade('LG1'), trade('LG2'));
    await ship(['LG1', 'LG2']);
    const q = await c.query('logistics_sync_query', { shop_no: 'api_test', limit: 100 });
    expect(q.rows.map((r: any) => r.tid)).toEqual(['LG1', 'LG2']);
    const [r1, r2] = q.rows as any[];
    expect(r1).toMatchObject({ rec_id: expect.any(String), logistics_no: expect.stringMatching(/^SIM/), oids: 'LG1-1', platform_id: '127' });
    const ack = await c.write('logistics_sync_ack', {}, [{ rec_id: r1.rec_id, status: 0, message: '同步成功' }, { rec_id: 999999, status: 0 }]);
    expect(ack.ok).toBe(true);
    expect([...ack.itemErrors!.entries()]).toEqual([[1, '非待同步状态,不可更新']]);
    expect((await c.query('logistics_sync_query', {})).rows.map((r: any) => r.tid)).toEqual(['LG2']);
    const again = await c.write('logistics_sync_ack', {}, [{ rec_id: r1.rec_id, status: 0 }, { rec_id: r2.rec_id, status: 1, message: '平台拒绝' }]);
    expect([...again.itemErrors!.keys()]).toEqual([0]);
    expect((await c.query('logistics_sync_query', {})).rows).toEqual([]);
    expect(await c.write('logistics_sync_ack', {}, [{ rec_id: 1, status: 3 }])).toMatchObject({ ok: false, code: 99 });
  });

  it('logistics_sync_query caps limit at 100', async () => {
    await push(...Array.from({ length: 50 }, (_, i) => trade(`LC${i}`)));
    await push(...Array.from({ length: 50 }, (_, i) => trade(`LD${i}`)));
    await push(...Array.from({ length: 20 }, (_, i) => trade(`LE${i}`)));
    await json(sb, '_sim/ship', { method: 'POST', body: {} });
    expect((await c.query('logistics_sync_query', { limit: 500 })).rows).toHaveLength(100);
    expect((await c.query('logistics_sync_query', { limit: 7 })).rows).toHaveLength(7);
  });
});

describe('sales_refund_push', () => {
  it('needs an existing tid, upserts by refund_no, and cancels an unshipped order refunded in full', async () => {
    const refund = (over: Record<string, unknown> = {}) => ({
      platform_id: 127, shop_no: 'api_test', tid: 'RF1', refund_no: 'RN1', type: 1, status: 2, refund_fee: '198.00',
      buyer_nick: '买家RF1', refund_time: '2024-06-02 10:00:00', reason: '不想要了', order_list: [{ oid: 'RF1-1', num: 2 }], ...over,
    });
    expect(await c.write('sales_refund_push', {}, [refund()])).toMatchObject({ ok: false, code: 1012 });
    await push(trade('RF1'));
    expect((await c.write('sales_refund_push', {}, [refund()])).response).toMatchObject({ new_count: 1, chg_count: 0 });
    expect(((await c.query('trade_query', { src_tid: 'RF1' })).rows[0] as any).trade_status).toBe('30');
    expect((await c.write('sales_refund_push', {}, [refund({ status: 5 })])).response).toMatchObject({ new_count: 0, chg_count: 1 });
    const t = (await c.query('trade_query', { src_tid: 'RF1' })).rows[0] as any;
    expect(t.trade_status).toBe('5');
    expect(t.goods_list[0].refund_status).toBe('5');
    expect(await c.write('sales_refund_push', {}, [refund({ refund_no: 'RN2', order_list: [{ oid: 'OTHER', num: 1 }] })])).toMatchObject({ ok: false, code: 99 });
    expect(await c.write('sales_refund_push', {}, [refund({ refund_no: 'RN3', shop_no: 'tmall_01' })])).toMatchObject({ ok: false, code: 1011 });
    expect(await c.write('sales_refund_push', {}, [refund({ refund_no: 'RN4', type: 9 })])).toMatchObject({ ok: false, code: 99 });
    const eleven = Array.from({ length: 11 }, (_, i) => refund({ refund_no: `M${i}` }));
    await expect(c.write('sales_refund_push', {}, eleven)).rejects.toThrow(/at most 10/);
  });
});

describe('goods', () => {
  it('goods_push creates and updates archives that goods_query returns', async () => {
    const goods = { goods_no: 'NG1', goods_name: '新品水杯', brand_name: '桥', spec_list: [{ spec_no: 'NSKU1', spec_name: '蓝色', barcode: '690111', retail_price: 59 }] };
    expect((await c.write('goods_push', {}, [goods])).response).toMatchObject({ new_count: 1 });
    const q = await c.query('goods_query', { goods_no: 'NG1' });
    expect(q.rows).toEqual([expect.objectContaining({ goods_no: 'NG1', goods_name: '新品水杯', brand_name: '桥', spec_list: [expect.objectContaining({ spec_no: 'NSKU1', barcode: '690111', retail_price: '59.0000' })] })]);
    await c.write('goods_push', {}, [{ ...goods, goods_name: '新品水杯 Pro', spec_list: [...goods.spec_list, { spec_no: 'NSKU2', spec_name: '红色' }] }]);
    const byBarcode = await c.query('goods_query', { barcode: '690111' });
    expect((byBarcode.rows[0] as any).goods_name).toBe('新品水杯 Pro');
    expect((byBarcode.rows[0] as any).spec_list).toHaveLength(2);
    expect((await c.query('goods_query', lastDay())).total).toBe(3);
    expect(await c.write('goods_push', {}, [{ goods_no: 'NG2', goods_name: 'x', spec_list: [{ spec_no: 'NSKU1' }] }])).toMatchObject({ ok: false, code: 99 });
    expect(await c.write('goods_push', {}, [{ goods_no: 'NG3', goods_name: 'x' }])).toMatchObject({ ok: false, code: 99 });
  });
});

describe('stock, transfers, purchases', () => {
  it('stock_query reports initial stock by window, spec and barcode', async () => {
    const r = await c.query('stock_query', { ...lastDay(), warehouse_no: 'WH01' });
    expect(r.total).toBe(3);
    expect(r.rows[0]).toMatchObject({ warehouse_no: 'WH01', spec_no: 'SKU001', stock_num: '100.0000', goods_name: '纯棉T恤', warehouse_name: '主仓' });
    expect((await c.query('stock_query', { barcode: '6900000000035' })).rows).toEqual([expect.objectContaining({ spec_no: 'SKU003', stock_num: '20.0000' })]);
    expect((await c.query('stock_query', { start_time: '2020-01-01 00:00:00', end_time: '2020-01-02 00:00:00' })).total).toBe(0);
  });

  it('快速调拨 with autocheck moves stock at once; outer_no deduplicates', async () => {
    const info = { outer_no: 'OUT-1', from_warehouse_no: 'WH01', to_warehouse_no: 'WH02', transfer_type: 1, autocheck: 1, skus: [{ spec_no: 'SKU002', num: 5 }] };
    const out = await c.write('stock_transfer_push', {}, [info]);
    expect(out.response).toMatchObject({ code: 0, transfer_no: expect.stringMatching(/^TF/) });
    const again = await c.write('stock_transfer_push', {}, [info]);
    expect((again.response as any).transfer_no).toBe((out.response as any).transfer_no);
    expect(await stock('WH01', 'SKU002')).toBe(45);
    expect(await stock('WH02', 'SKU002')).toBe(5);
    const q = await c.query('stock_transfer_query', { api_outer_no: 'OUT-1' });
    expect(q.rows).toEqual([expect.objectContaining({ status: '90', goods_out_count: '5.0000', goods_in_count: '5.0000' })]);
  });

  it('分步调拨: stockout_transfer_push then stockin_transfer_push, with state rules', async () => {
    const { response } = await c.write('stock_transfer_push', {}, [{ outer_no: 'OUT-2', from_warehouse_no: 'WH01', to_warehouse_no: 'WH02', transfer_type: 0, autocheck: 1, skus: [{ spec_no: 'SKU001', num: 10 }, { spec_no: 'SKU003', num: 4 }] }]);
    const no = (response as any).transfer_no;
    const stockin = (goods: unknown[], outer = 'IN-1') => c.write('stockin_transfer_push', {}, [{ outer_no: outer, src_order_type: 2, src_order_no: no, warehouse_no: 'WH02', goods_list: goods }]);
    expect(await stockin([{ spec_no: 'SKU001', num: 10 }])).toMatchObject({ ok: false, code: 1013 });
    const so = await c.write('stockout_transfer_push', {}, [{ src_order_no: no, warehouse_no: 'WH01', goods_list: [{ spec_no: 'SKU001', num: 10 }] }]);
    expect(so.response).toMatchObject({ stockout_no: expect.stringMatching(/^DC/) });
    expect(((await c.query('stock_transfer_query', { transfer_no: no })).rows[0] as any).status).toBe('50');
    expect(await c.write('stockout_transfer_push', {}, [{ src_order_no: no, goods_list: [{ spec_no: 'SKU003', num: 5 }] }])).toMatchObject({ ok: false, code: 99 });
    await c.write('stockout_transfer_push', {}, [{ src_order_no: no }]);
    expect(((await c.query('stock_transfer_query', { transfer_no: no })).rows[0] as any).status).toBe('60');
    expect(await stock('WH01', 'SKU001')).toBe(90);
    expect(await stock('WH01', 'SKU003')).toBe(16);
    expect(await c.write('stockout_transfer_push', {}, [{ src_order_no: no }])).toMatchObject({ ok: false, code: 1013 });
    expect(await stockin([{ spec_no: 'SKU001', num: 11 }])).toMatchObject({ ok: false, code: 99 });
    expect(await c.write('stockin_transfer_push', {}, [{ outer_no: 'IN-x', src_order_type: 2, src_order_no: no, warehouse_no: 'WH01', goods_list: [{ spec_no: 'SKU001', num: 1 }] }])).toMatchObject({ ok: false, code: 99 });
    const in1 = await stockin([{ spec_no: 'SKU001', num: 10 }]);
    expect(in1.response).toMatchObject({ stockin_no: expect.stringMatching(/^RK/) });
    expect((await stockin([{ spec_no: 'SKU001', num: 10 }])).response).toEqual(in1.response); // same outer_no: same stock-in, no double count
    expect(((await c.query('stock_transfer_query', { transfer_no: no })).rows[0] as any).status).toBe('70');
    await stockin([{ spec_no: 'SKU003', num: 4 }], 'IN-2');
    const done = (await c.query('stock_transfer_query', { transfer_no: no })).rows[0] as any;
    expect(done.status).toBe('90');
    expect(done.details_list).toEqual([
      expect.objectContaining({ spec_no: 'SKU001', num: '10.0000', out_num: '10.0000', in_num: '10.0000' }),
      expect.objectContaining({ spec_no: 'SKU003', num: '4.0000', out_num: '4.0000', in_num: '4.0000' }),
    ]);
    expect(await stock('WH02', 'SKU001')).toBe(20);
    expect(await stock('WH02', 'SKU003')).toBe(4);
    expect((await c.query('stock_transfer_query', { ...lastDay(), status: 90 })).total).toBe(1);
  });

  it('stock_transfer_push rules: warehouses, specs, from ≠ to, autocheck=0 waits for 审核', async () => {
    const base = { outer_no: 'OUT-3', from_warehouse_no: 'WH01', to_warehouse_no: 'WH02', skus: [{ spec_no: 'SKU001', num: 1 }] };
    expect(await c.write('stock_transfer_push', {}, [{ ...base, to_warehouse_no: 'NOPE' }])).toMatchObject({ ok: false, code: 1012 });
    expect(await c.write('stock_transfer_push', {}, [{ ...base, skus: [{ spec_no: 'NOPE', num: 1 }] }])).toMatchObject({ ok: false, code: 1012 });
    expect(await c.write('stock_transfer_push', {}, [{ ...base, to_warehouse_no: 'WH01' }])).toMatchObject({ ok: false, code: 99 });
    expect(await c.write('stock_transfer_push', {}, [{ ...base, skus: [] }])).toMatchObject({ ok: false, code: 99 });
    const out = await c.write('stock_transfer_push', {}, [base]);
    const no = (out.response as any).transfer_no;
    expect(((await c.query('stock_transfer_query', { transfer_no: no })).rows[0] as any).status).toBe('20');
    expect(await c.write('stockout_transfer_push', {}, [{ src_order_no: no }])).toMatchObject({ ok: false, code: 1013 });
    await json(sb, '_sim/transfers/check', { method: 'POST', body: { transfer_no: no } });
    expect(((await c.query('stock_transfer_query', { transfer_no: no })).rows[0] as any).status).toBe('90');
  });

  it('purchase_order_push: one PO per call, provider must exist, outer_no is idempotent, receipt adds stock', async () => {
    const po = { provider_no: 'P001', warehouse_no: 'WH02', outer_no: 'PO-1', is_check: 1, details_list: [{ spec_no: 'SKU003', num: 30, price: '45.50' }] };
    const out = await c.write('purchase_order_push', {}, [po]);
    const no = (out.response as any).purchase_no;
    expect(no).toMatch(/^CG/);
    expect(((await c.write('purchase_order_push', {}, [po])).response as any).purchase_no).toBe(no);
    expect(await c.write('purchase_order_push', {}, [{ ...po, outer_no: 'PO-2', provider_no: 'NOPE' }])).toMatchObject({ ok: false, code: 1012 });
    expect(await c.write('purchase_order_push', {}, [{ ...po, outer_no: 'PO-3', details_list: [{ spec_no: 'SKU003', num: 1 }] }])).toMatchObject({ ok: false, code: 99 });
    expect(await stock('WH02', 'SKU003')).toBe(0);
    await json(sb, '_sim/purchases/receive', { method: 'POST', body: { purchase_no: no } });
    expect(await stock('WH02', 'SKU003')).toBe(30);
    expect((await json(sb, '_sim/purchases'))[0]).toMatchObject({ purchase_no: no, status: 90 });
  });
});

describe('sandbox options and inspection', () => {
  it('autoShip ships every paid order as it is pushed', async () => {
    const sb2 = await sandbox({ autoShip: true });
    const c2 = client(sb2);
    try {
      await c2.write('trade_push', { shop_no: 'api_test' }, [trade('AS1'), trade('AS2', { trade_status: 10, pay_status: 0 })]);
      const r = await c2.query('stockout_order_query_trade', lastDay());
      expect(r.rows.map((x: any) => x.src_tids)).toEqual(['AS1']);
    } finally {
      await c2.close();
      await sb2.close();
    }
  });

  it('seed: N creates N raw orders over the last days, some shipped', async () => {
    const sb2 = await sandbox({ seed: 40 });
    const c2 = client(sb2);
    try {
      expect((await json(sb2, '_sim/trades')).total).toBe(40);
      const shipped = await c2.query('stockout_order_query_trade', { start_time: beijingAgo(4 * 86400_000), end_time: beijingNow(), page_size: 100 });
      expect(shipped.total).toBeGreaterThan(5);
      expect(shipped.total).toBeLessThan(40);
      const st = await json(sb2, '_sim/state');
      expect(st.accounts[0].counts.raw_trades).toBe(40);
      // seeding is not counted as API calls
      expect((await json(sb2, '_sim/stats')).totals.calls).toBe(1); // the query above; seeding is not an API call
    } finally {
      await c2.close();
      await sb2.close();
    }
  });

  it('several accounts are isolated from each other', async () => {
    const sb2 = await sandbox({ accounts: [{ sid: 'a', appkey: 'a-key', appsecret: 'a-secret' }, { sid: 'b', appkey: 'b-key', appsecret: 'b-secret' }] });
    const ca = client(sb2, { sid: 'a', appkey: 'a-key', appsecret: 'a-secret' });
    const cb = client(sb2, { sid: 'b', appkey: 'b-key', appsecret: 'b-secret' });
    try {
      await ca.write('trade_push', { shop_no: 'a-key' }, [trade('ONE')]);
      expect((await cb.write('trade_push', { shop_no: 'a-key' }, [trade('ONE')])).code).toBe(1010);
      await cb.write('trade_push', { shop_no: 'b-key' }, [trade('ONE')]);
      expect((await json(sb2, '_sim/trades?sid=a')).trades[0].push_count).toBe(1);
      expect((await json(sb2, '_sim/trades')).total).toBe(2);
      expect((await ca.write('trade_push', { shop_no: 'a-key' }, [trade('X')])).ok).toBe(true);
      const demo = client(sb2);
      expect((await demo.write('trade_push', { shop_no: 'api_test' }, [trade('Y')])).code).toBe(1002);
      await demo.close();
    } finally {
      await ca.close();
      await cb.close();
      await sb2.close();
    }
  });

  it('/_sim/faults validates the config; /_sim/reset clears state; /_sim/stats counts per API', async () => {
    const bad = await fetch(`${sb.url}_sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trade_push: { errorRate: 2, nope: 1 } }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).problems).toEqual(['trade_push.errorRate: a rate is between 0 and 1', 'trade_push.nope: unknown fault']);
    await push(trade('Z1'));
    await c.query('trade_query', { src_tid: 'Z1' });
    const stats = await json(sb, '_sim/stats');
    expect(stats.apis.trade_push).toMatchObject({ calls: 1, ok: 1, new_count: 1 });
    expect(stats.apis.trade_query).toMatchObject({ calls: 1, ok: 1 });
    await json(sb, '_sim/reset', { method: 'POST', body: {} });
    expect((await json(sb, '_sim/trades')).total).toBe(0);
  });
});
