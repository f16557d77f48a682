import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WdtSandboxHandle, WdtClient } from '../../src/connectors/wdt/index.ts';
import { client, json, sandbox, trade } from './helpers.ts';

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

describe('trade_push through WdtClient and the sandbox', () => {
  it('creates raw orders, counted in new_count, visible in /_sim/trades as stored', async () => {
    const out = await c.write('trade_push', { shop_no: 'api_test', switch: 1 }, [trade('A1'), trade('A2')]);
    expect(out.ok).toBe(true);
    expect(out.response).toEqual({ code: 0, message: '', new_count: 2, chg_count: 0 });
    const r = await json(sb, '_sim/trades');
    expect(r.total).toBe(2);
    const a1 = r.trades.find((t: any) => t.tid === 'A1');
    expect(a1.push_count).toBe(1);
    expect(a1.shop_no).toBe('api_test');
    expect(a1.trade).toEqual(trade('A1'));
  });

  it('pushing the same tid again is an update (chg_count), never a duplicate', async () => {
    await c.write('trade_push', { shop_no: 'api_test' }, [trade('B1')]);
    const out = await c.write('trade_push', { shop_no: 'api_test' }, [trade('B1', { seller_memo: '加急' }), trade('B2')]);
    expect(out.response).toMatchObject({ new_count: 1, chg_count: 1 });
    const r = await json(sb, '_sim/trades?tid=B1');
    expect(r.trades[0].push_count).toBe(2);
    expect(r.trades[0].trade.seller_memo).toBe('加急');
    const stats = await json(sb, '_sim/stats');
    expect(stats.apis.trade_push).toMatchObject({ calls: 2, ok: 2, new_count: 2, chg_count: 1, items: 3 });
  });

  it('accepts the sandbox shop equal to the appkey as well as api_test', async () => {
    const out = await c.write('trade_push', { shop_no: 'qiaodemo-test' }, [trade('C1')]);
    expect(out.ok).toBe(true);
  });

  it('sends Chinese, emoji, &+=%20 and very long values intact (sign by code points, form encoding)', async () => {
    const memo = '备注😀 a&b+c=d%20e ' + '长'.repeat(1000);
    const t = trade('D1', { seller_memo: memo, buyer_message: '请尽快发货🚚&谢谢' });
    const out = await c.write('trade_push', { shop_no: 'api_test' }, [t]);
    expect(out.ok, out.message).toBe(true);
    const r = await json(sb, '_sim/trades?tid=D1');
    expect(r.trades[0].trade.seller_memo).toBe(memo);
    expect(r.trades[0].trade.buyer_message).toBe('请尽快发货🚚&谢谢');
  });

  it('a full batch of 50 is one call; 51 is refused before sending', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => trade(`E${i}`));
    const out = await c.write('trade_push', { shop_no: 'api_test' }, batch);
    expect(out.response).toMatchObject({ new_count: 50 });
    await expect(c.write('trade_push', { shop_no: 'api_test' }, [...batch, trade('E50')])).rejects.toThrow(/at most 50/);
  });

  it('strict mode: one bad trade fails the whole call, naming it, and stores nothing', async () => {
    const bad = trade('F2', { receiver_mobile: '' });
    const out = await c.write('trade_push', { shop_no: 'api_test', switch: 1 }, [trade('F1'), bad, trade('F3')]);
    expect(out.ok).toBe(false);
    expect(out.code).toBe(99);
    expect(out.message).toContain('F2');
    expect(out.message).toContain('receiver_mobile');
    expect((await json(sb, '_sim/trades')).total).toBe(0);
  });

  it('switch absent means strict (默认1)', async () => {
    const out = await c.write('trade_push', { shop_no: 'api_test' }, [trade('G1'), trade('G2', { trade_status: 11 })]);
    expect(out.ok).toBe(false);
    expect((await json(sb, '_sim/trades')).total).toBe(0);
  });

  it('non-strict mode (switch=0): good trades are stored, bad ones come back as itemErrors', async () => {
    const out = await c.write('trade_push', { shop_no: 'api_test', switch: 0 }, [trade('H1'), trade('H2', { pay_time: 'yesterday' }), trade('H3')]);
    expect(out.ok).toBe(true);
    expect(out.response).toMatchObject({ new_count: 2, chg_count: 0 });
    expect([...out.itemErrors!.keys()]).toEqual([1]);
    expect(out.itemErrors!.get(1)).toContain('pay_time');
    expect((await json(sb, '_sim/trades')).trades.map((t: any) => t.tid)).toEqual(['H1', 'H3']);
  });

  it('rejectTids fault: the poisoned tid fails its batch of 50 by name; the other 49 go through alone', async () => {
    await json(sb, '_sim/faults', { method: 'PUT', body: { trade_push: { rejectTids: ['P17'] } } });
    try {
      const batch = Array.from({ length: 50 }, (_, i) => trade(`P${i}`));
      const out = await c.write('trade_push', { shop_no: 'api_test' }, batch);
      expect(out.ok).toBe(false);
      expect(out.message).toContain('P17');
      const rest = batch.filter((t) => t.tid !== 'P17');
      expect((await c.write('trade_push', { shop_no: 'api_test' }, rest)).ok).toBe(true);
      expect((await json(sb, '_sim/trades')).total).toBe(49);
    } finally {
      await json(sb, '_sim/faults', { method: 'DELETE' });
    }
  });

  it('line num/price are immutable after the first push', async () => {
    await c.write('trade_push', { shop_no: 'api_test' }, [trade('I1')]);
    const out = await c.write('trade_push', { shop_no: 'api_test' }, [trade('I1', {}, { num: 3 })]);
    expect(out.ok).toBe(false);
    expect(out.message).toMatch(/I1-1.*不可修改/);
    const price = await c.write('trade_push', { shop_no: 'api_test' }, [trade('I1', {}, { price: '89.00' })]);
    expect(price.ok).toBe(false);
    // same values written differently are the same line
    expect((await c.write('trade_push', { shop_no: 'api_test' }, [trade('I1', {}, { num: '2.0000', price: 99 })])).ok).toBe(true);
  });

  it('ships orders into system orders and stockouts (POST /_sim/ship)', async () => {
    await c.write('trade_push', { shop_no: 'api_test' }, [trade('J1'), trade('J2')]);
    const shipped = await json(sb, '_sim/ship', { method: 'POST', body: { tids: ['J1'] } });
    expect(shipped.shipped).toHaveLength(1);
    expect(shipped.shipped[0]).toMatchObject({ tid: 'J1', trade_no: expect.stringMatching(/^JY/), stockout_no: expect.stringMatching(/^CK/) });
    const r = await json(sb, '_sim/trades?tid=J1');
    expect(r.trades[0].system_status).toBe(95);
  });

  it('handles a few thousand orders quickly (engine benchmark path)', async () => {
    const t0 = performance.now();
    const calls = [];
    for (let b = 0; b < 60; b++) {
      calls.push(c.write('trade_push', { shop_no: 'api_test' }, Array.from({ length: 50 }, (_, i) => trade(`K${b}-${i}`))));
    }
    const outs = await Promise.all(calls);
    const ms = performance.now() - t0;
    expect(outs.every((o) => o.ok)).toBe(true);
    expect((await json(sb, '_sim/stats')).apis.trade_push.new_count).toBe(3000);
    expect(3000 / (ms / 1000)).toBeGreaterThan(2000);
  });
});
