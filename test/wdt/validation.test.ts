/** Every validation rule of the sandbox has a test that makes it say no, through the real client. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { wdtSign, type WdtSandboxHandle, type WdtClient } from '../../src/connectors/wdt/index.ts';
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

const push = (trades: unknown[], call: Record<string, unknown> = { shop_no: 'api_test' }) => c.write('trade_push', call, trades);
async function rejects(trades: unknown[], code: number, text: string | RegExp, call?: Record<string, unknown>) {
  const out = await push(trades, call);
  expect(out.ok, JSON.stringify(out.response)).toBe(false);
  expect(out.code).toBe(code);
  expect(out.message).toMatch(text);
  return out;
}
/** A raw form POST, for requests the client would never produce. */
async function raw(api: string, form: Record<string, string>) {
  const res = await fetch(`${sb.url}${api}.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return res.json() as Promise<{ code: number; message: string }>;
}

describe('system params', () => {
  it('rejects an unknown sid, an unknown appkey, a wrong secret', async () => {
    for (const [opts, code, text] of [
      [{ sid: 'nobody' }, 1002, /卖家账号不存在/],
      [{ appkey: 'other-key' }, 1007, /接口账号不存在/],
      [{ appsecret: 'wrong' }, 1004, /签名错误/],
    ] as const) {
      const cl = client(sb, opts);
      try {
        const out = await cl.write('trade_push', { shop_no: 'api_test' }, [trade('S1')]);
        expect(out).toMatchObject({ ok: false, code });
        expect(out.message).toMatch(text);
      } finally {
        await cl.close();
      }
    }
  });

  it('rejects a timestamp more than 300 s off, accepts one within', async () => {
    const late = client(sb, { now: () => Date.now() - 301_000 });
    const ok = client(sb, { now: () => Date.now() - 250_000 });
    try {
      expect(await late.write('trade_push', { shop_no: 'api_test' }, [trade('TS1')])).toMatchObject({ ok: false, code: 1003 });
      expect((await ok.write('trade_push', { shop_no: 'api_test' }, [trade('TS2')])).ok).toBe(true);
    } finally {
      await late.close();
      await ok.close();
    }
  });

  it('rejects a missing sign and a sign computed over UTF-16 lengths', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    expect(await raw('trade_push', { sid: 'qiaodemo', appkey: 'qiaodemo-test', timestamp: ts })).toMatchObject({ code: 1001, message: expect.stringContaining('sign') });
    const form: Record<string, string> = { sid: 'qiaodemo', appkey: 'qiaodemo-test', timestamp: ts, shop_no: 'api_test', trade_list: JSON.stringify([trade('U1', { seller_memo: '😀' })]) };
    // what an SDK using String.length computes: the emoji counts twice
    const utf16 = Object.keys(form).sort().map((k) => `${String(k.length).padStart(2, '0')}-${k}:${String(form[k].length).padStart(4, '0')}-${form[k]}`).join(';');
    const { createHash } = await import('node:crypto');
    const wrong = createHash('md5').update(utf16 + 'qiaodemo-secret').digest('hex');
    expect(await raw('trade_push', { ...form, sign: wrong })).toMatchObject({ code: 1004 });
    expect(await raw('trade_push', { ...form, sign: wdtSign(form, 'qiaodemo-secret') })).toMatchObject({ code: 0 });
  });

  it('an unknown API is HTTP 404 with code 1000', async () => {
    const res = await fetch(`${sb.url}no_such_api.php`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 1000 });
  });
});

describe('trade_push fields', () => {
  it('required fields', async () => {
    await rejects([trade('R1', { receiver_mobile: undefined })], 99, /订单R1: .*receiver_mobile 不能为空/);
    await rejects([trade('R2', { order_list: [] })], 99, /order_list 不能为空/);
    await rejects([trade('R3', {}, { oid: '' })], 99, /order_list\[0\]\.oid 不能为空/);
    await rejects([trade('R4', { pay_time: '' })], 99, /pay_time 不能为空/);
  });

  it('enums', async () => {
    await rejects([trade('E1', { trade_status: 35 })], 99, /trade_status 取值无效/);
    await rejects([trade('E2', { delivery_term: 9 })], 99, /delivery_term 取值无效/);
    await rejects([trade('E3', {}, { refund_status: 6 })], 99, /refund_status 取值无效/);
    await rejects([trade('E4', { invoice_kind: 5 })], 99, /invoice_kind 取值无效/);
    await rejects([trade('E5', { seller_flag: 6 })], 99, /seller_flag 取值无效/);
    await rejects([trade('E6')], 99, /switch 取值无效/, { shop_no: 'api_test', switch: 2 });
  });

  it('numbers and datetimes', async () => {
    await rejects([trade('N1', { paid: 'abc' })], 99, /paid 必须是数字/);
    await rejects([trade('N2', {}, { num: '1,5' })], 99, /num 必须是数字/);
    await rejects([trade('N3', { trade_status: '30a' })], 99, /trade_status 必须是整数/);
    await rejects([trade('N4', { trade_time: '2024/06/01 10:00' })], 99, /trade_time 时间格式错误/);
    await rejects([trade('N5', { pay_time: '2024-02-30 10:00:00' })], 99, /pay_time 时间格式错误/);
    expect((await push([trade('N6', { pay_time: '0000-00-00 00:00:00', trade_status: 10, pay_status: 0 })])).ok).toBe(true);
  });

  it('varchar lengths count characters (code points)', async () => {
    const emoji40 = '😀'.repeat(40);
    expect((await push([trade(emoji40, {}, { oid: '😀'.repeat(40) })])).ok).toBe(true);
    await rejects([trade('x'.repeat(41))], 99, /tid 超过最大长度 40/);
    await rejects([trade('L1', { receiver_address: '路'.repeat(257) })], 99, /receiver_address 超过最大长度 256/);
    await rejects([trade('L2', { buyer_message: 'm'.repeat(1025) })], 99, /buyer_message 超过最大长度 1024/);
  });

  it('goods_no and spec_no cannot both be empty', async () => {
    await rejects([trade('G1', {}, { goods_no: '', spec_no: '' })], 99, /goods_no 与 spec_no 不能同时为空/);
  });

  it('duplicate tid in one trade_list, oid reused by another tid', async () => {
    await rejects([trade('D1'), trade('D1')], 99, /原始单号重复/);
    await push([trade('D2')]);
    await rejects([trade('D3', {}, { oid: 'D2-1' })], 99, /D2-1 已被订单 D2 使用/);
  });

  it('at most 30 orders of one buyer_nick per push', async () => {
    const same = Array.from({ length: 31 }, (_, i) => trade(`N${i}`, { buyer_nick: '同一个人' }));
    await rejects(same, 99, /同一客户网名/);
  });

  it('warehouse_no must exist', async () => {
    await rejects([trade('W1', { warehouse_no: 'NOPE' })], 99, /仓库不存在: NOPE/);
    expect((await push([trade('W2', { warehouse_no: 'WH02' })])).ok).toBe(true);
  });

  it('shop must exist and be 自有/其它', async () => {
    await rejects([trade('P1')], 1010, /店铺不存在/, { shop_no: 'nope' });
    await rejects([trade('P2')], 1011, /自有\/其它/, { shop_no: 'tmall_01' });
    await rejects([trade('P3')], 99, /shop_no 不能为空/, {});
    expect((await push([trade('P4')], { shop_no: 'offline_01' })).ok).toBe(true);
  });

  it('trade_list must be a JSON array', async () => {
    const bad = await c.call('trade_push', { shop_no: 'api_test', trade_list: 'not json' });
    expect(bad.body).toMatchObject({ code: 99, message: 'trade_list 不是合法的JSON' });
    const obj = await c.call('trade_push', { shop_no: 'api_test', trade_list: { tid: 'x' } });
    expect(obj.body).toMatchObject({ code: 99, message: 'trade_list 必须是JSON数组' });
  });

  it('province/city/district may come from a space-separated receiver_address', async () => {
    const t = trade('A1', { receiver_province: '', receiver_city: undefined, receiver_district: undefined, receiver_address: '广东省 深圳市 南山区 科技园 8 栋' });
    expect((await push([t])).ok).toBe(true);
    const stored = (await json(sb, '_sim/trades?tid=A1')).trades[0].trade;
    expect([stored.receiver_province, stored.receiver_city, stored.receiver_district]).toEqual(['广东省', '深圳市', '南山区']);
    await rejects([trade('A2', { receiver_city: '', receiver_address: '没有空格的地址' })], 99, /receiver_city 不能为空/);
  });
});

describe('query params, windows and pages', () => {
  const q = (api: string, params: Record<string, unknown>) => c.query(api, params).then(() => ({ code: 0 }), (e) => ({ code: e.code, message: e.message }));

  it('trade_query: window ≤ 60 min, time range or 单号 required', async () => {
    expect(await q('trade_query', { start_time: beijingAgo(61 * 60_000), end_time: beijingNow() })).toMatchObject({ code: 2901 });
    expect(await q('trade_query', { start_time: beijingAgo(60 * 60_000), end_time: beijingNow() })).toMatchObject({ code: 0 });
    expect(await q('trade_query', { page_no: 0 })).toMatchObject({ code: 2900 });
    expect(await q('trade_query', { src_tid: 'T1' })).toMatchObject({ code: 0 });
    expect(await q('trade_query', { start_time: beijingNow() })).toMatchObject({ code: 2830 });
    expect(await q('trade_query', { start_time: beijingNow(), end_time: beijingAgo(60_000) })).toMatchObject({ code: 2830 });
    expect(await q('trade_query', { start_time: '2024-6-1', end_time: beijingNow() })).toMatchObject({ code: 2830 });
  });

  it('stockout_order_query_trade: window ≤ 30 days, status enum', async () => {
    expect(await q('stockout_order_query_trade', { start_time: beijingAgo(31 * 86400_000), end_time: beijingNow() })).toMatchObject({ code: 2901 });
    expect(await q('stockout_order_query_trade', { start_time: beijingAgo(30 * 86400_000), end_time: beijingNow() })).toMatchObject({ code: 0 });
    expect(await q('stockout_order_query_trade', { start_time: beijingAgo(60_000), end_time: beijingNow(), status: 96 })).toMatchObject({ code: 2830 });
  });

  it('page_no from 0, page_size within the API range', async () => {
    const w = { start_time: beijingAgo(60_000), end_time: beijingNow() };
    expect(await q('trade_query', { ...w, page_no: -1 })).toMatchObject({ code: 2830 });
    expect(await q('trade_query', { ...w, page_size: 0 })).toMatchObject({ code: 2830 });
    expect(await q('trade_query', { ...w, page_size: 101 })).toMatchObject({ code: 2830 });
    expect(await q('trade_query', { ...w, page_size: 'ten' })).toMatchObject({ code: 2830 });
    expect(await q('goods_query', { ...w, page_size: 41 })).toMatchObject({ code: 2830 });
    expect(await q('goods_query', { ...w, page_size: 40 })).toMatchObject({ code: 0 });
  });

  it('stock_query_all only between 00:00 and 02:00 Beijing time', async () => {
    try {
      await json(sb, '_sim/clock', { method: 'PUT', body: { now: '2024-06-01 10:00:00' } });
      expect(await q('stock_query_all', {})).toMatchObject({ code: 1050 });
      await json(sb, '_sim/clock', { method: 'PUT', body: { now: '2024-06-01 02:00:00' } });
      expect(await q('stock_query_all', {})).toMatchObject({ code: 1050 });
      await json(sb, '_sim/clock', { method: 'PUT', body: { now: '2024-06-01 01:59:59' } });
      const r = await c.query('stock_query_all', { warehouse_no: 'WH01' });
      expect(r.rows.length).toBe(3);
    } finally {
      await json(sb, '_sim/clock', { method: 'PUT', body: { now: null } });
    }
  });

  it('logistics_sync_query: limit must be ≥ 1; > 100 is capped', async () => {
    expect(await q('logistics_sync_query', { limit: 0 })).toMatchObject({ code: 2830 });
    expect(await q('logistics_sync_query', { limit: 500 })).toMatchObject({ code: 0 });
  });
});

describe('error codes are configurable', () => {
  it('errorCodes overrides the code of a kind', async () => {
    const sb2 = await sandbox({ errorCodes: { shop_not_found: 1007 } });
    const c2 = client(sb2);
    try {
      expect(await c2.write('trade_push', { shop_no: 'nope' }, [trade('Z1')])).toMatchObject({ ok: false, code: 1007 });
    } finally {
      await c2.close();
      await sb2.close();
    }
  });
});
