import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { platform, parseSimArgs, WDT_DEMO_ACCOUNT, catalogue, type WdtClient } from '../../src/connectors/wdt/index.ts';
import { json, sandbox, trade } from './helpers.ts';

describe('platform export', () => {
  it('names, envs, params (appsecret secret)', () => {
    expect(platform.name).toBe('wdt');
    expect(platform.label).toBe('旺店通·企业版');
    expect(platform.envs).toEqual({
      sandbox: { baseUrl: 'https://sandbox.wangdian.cn/openapi2/' },
      production: { baseUrl: 'https://api.wangdian.cn/openapi2/' },
    });
    expect(platform.params.map((p) => p.name)).toEqual(['sid', 'appkey', 'appsecret', 'base_url', 'timeout_ms', 'transient_codes', 'rate_limit_codes']);
    expect(platform.params.filter((p) => p.secret).map((p) => p.name)).toEqual(['appsecret']);
    expect(platform.sandboxBasePath).toBe('/openapi2');
  });

  it('catalogue: every API, with batch specs for writes and query specs for queries', () => {
    const byName = new Map(platform.catalogue.map((a) => [a.name, a]));
    expect([...byName.keys()].sort()).toEqual([
      'goods_push', 'goods_query', 'logistics_sync_ack', 'logistics_sync_query', 'purchase_order_push', 'sales_refund_push',
      'stock_query', 'stock_query_all', 'stock_transfer_push', 'stock_transfer_query', 'stockin_transfer_push',
      'stockout_order_query_trade', 'stockout_transfer_push', 'trade_push', 'trade_query',
    ]);
    expect(byName.get('trade_push')!.batch).toEqual({ param: 'trade_list', max: 50 });
    expect(byName.get('sales_refund_push')!.batch).toEqual({ param: 'api_refund_list', max: 10 });
    expect(byName.get('logistics_sync_ack')!.batch).toEqual({ param: 'logistics_list', max: 50 });
    for (const [api, param] of [['purchase_order_push', 'purchase_info'], ['stock_transfer_push', 'transfer_info'], ['stockin_transfer_push', 'stockin_info'], ['stockout_transfer_push', 'stockout_info']]) {
      expect(byName.get(api)!.batch).toEqual({ param, max: 1, single: true });
    }
    expect(byName.get('trade_query')!.query).toEqual({ listKey: 'trades', maxWindowMinutes: 60, pageSize: { min: 1, max: 100, default: 40 }, firstPage: 0 });
    expect(byName.get('stockout_order_query_trade')!.query).toMatchObject({ listKey: 'stockout_list', maxWindowMinutes: 43200, firstPage: 0 });
    for (const a of platform.catalogue) {
      expect(a.direction === 'write' ? a.batch : a.query, a.name).toBeTruthy();
      for (const p of a.request) {
        expect(p.label, `${a.name}.${p.field}`).toMatch(/[\u4e00-\u9fa5]/);
        expect(p.type, `${a.name}.${p.field}`).toBeTruthy();
      }
    }
  });

  it('trade_push metadata: full field list, required flags, enums with meanings', () => {
    const tp = catalogue.find((a) => a.name === 'trade_push')!;
    const fields = tp.request.map((p) => p.field);
    for (const f of ['tid', 'trade_status', 'pay_status', 'delivery_term', 'trade_time', 'pay_time', 'buyer_nick', 'receiver_name', 'receiver_province',
      'receiver_city', 'receiver_district', 'receiver_address', 'receiver_mobile', 'logistics_type', 'invoice_kind', 'invoice_title', 'invoice_content',
      'remark_flag', 'seller_flag', 'buyer_message', 'seller_memo', 'post_amount', 'cod_amount', 'ext_cod_fee', 'other_amount', 'paid', 'warehouse_no',
      'is_auto_wms', 'order_list', 'fenxiao_type', 'fenxiao_nick', 'purchase_id', 'buyer_email', 'pay_id', 'pay_account', 'receiver_telno', 'receiver_zip']) {
      expect(fields, f).toContain(f);
    }
    const lines = tp.request.find((p) => p.field === 'order_list')!.children!.map((p) => p.field);
    for (const f of ['oid', 'num', 'price', 'status', 'refund_status', 'goods_id', 'spec_id', 'goods_no', 'spec_no', 'goods_name', 'spec_name', 'adjust_amount', 'discount', 'share_discount', 'remark', 'cid']) {
      expect(lines, f).toContain(f);
    }
    const tid = tp.request.find((p) => p.field === 'tid')!;
    expect(tid).toMatchObject({ label: '原始单号', is_required: true, maxLength: 40 });
    expect(tp.request.find((p) => p.field === 'trade_status')!.describe).toContain('30 已支付待发货');
    expect(tp.otherRequest!.map((p) => [p.field, p.is_required])).toEqual([['shop_no', true], ['switch', false]]);
  });

  it('validateParams names each problem', () => {
    expect(platform.validateParams!({ sid: 's', appkey: 'k', appsecret: 'x' })).toEqual([]);
    expect(platform.validateParams!({ sid: '', appkey: ' k', base_url: 'ftp://x/', timeout_ms: 5, transient_codes: { a: 1 } })).toEqual([
      { path: 'params.sid', message: 'required' },
      { path: 'params.appkey', message: 'has leading or trailing spaces' },
      { path: 'params.appsecret', message: 'required' },
      { path: 'params.base_url', message: 'must be http(s)' },
      { path: 'params.timeout_ms', message: 'an integer between 100 and 600000' },
      { path: 'params.transient_codes', message: 'a comma-separated string or a list of codes / message substrings' },
    ]);
  });

  it('connect() builds a client from connector params (base_url over the env default)', async () => {
    const sb = await sandbox();
    const c = platform.connect!({ name: 'wdt-test', env: 'sandbox', params: { ...WDT_DEMO_ACCOUNT, base_url: sb.url, timeout_ms: '5000', transient_codes: '1020,4242' } }) as WdtClient;
    try {
      expect(c.baseUrl).toBe(sb.url);
      expect((await c.test!()).ok).toBe(true);
      expect((await c.write('trade_push', { shop_no: 'api_test' }, [trade('CN1')])).ok).toBe(true);
    } finally {
      await c.close();
      await sb.close();
    }
    const prod = platform.connect!({ name: 'p', env: 'production', params: { sid: 's', appkey: 'k', appsecret: 'x' } }) as WdtClient;
    expect(prod.baseUrl).toBe('https://api.wangdian.cn/openapi2/');
    await prod.close();
  });
});

describe('mounted sandbox (as the server mounts it)', () => {
  it('serves the same API and /_sim routes under /sandbox/wdt/openapi2, with its own form parser', async () => {
    const app = Fastify();
    // a host app that already parses forms its own way must not break the sandbox
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, _b, done) => done(null, { hijacked: true }));
    app.get('/healthz', async () => ({ ok: true }));
    await app.register(async (scope) => platform.sandbox!(scope, { accounts: [{ sid: 'm', appkey: 'm-key', appsecret: 'm-secret' }] }), {
      prefix: `/sandbox/wdt${platform.sandboxBasePath}`,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const base = `http://127.0.0.1:${port}/sandbox/wdt/openapi2/`;
    const c = platform.connect!({ name: 'm', env: 'sandbox', params: { sid: 'm', appkey: 'm-key', appsecret: 'm-secret', base_url: base } }) as WdtClient;
    try {
      const out = await c.write('trade_push', { shop_no: 'm-key' }, [trade('MT1')]);
      expect(out.ok, out.message).toBe(true);
      const r = await (await fetch(`${base}_sim/trades`)).json();
      expect(r.trades.map((t: any) => t.tid)).toEqual(['MT1']);
      expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true });
    } finally {
      await c.close();
      await app.close();
    }
  });

  it('closing the server does not wait for hanging requests', async () => {
    const sb = await sandbox({ faults: { trade_push: { hangRate: 1 } } });
    const pending = fetch(`${sb.url}trade_push.php`, { method: 'POST' }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await sb.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('standalone', () => {
  it('startWdtSandbox returns a base_url ending in /openapi2/ and the state', async () => {
    const sb = await sandbox();
    try {
      expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/openapi2\/$/);
      expect(sb.state.tenant().sid).toBe(WDT_DEMO_ACCOUNT.sid);
      expect(await json(sb, '_sim/faults')).toEqual({});
    } finally {
      await sb.close();
    }
  });

  it('parseSimArgs', () => {
    expect(parseSimArgs(['--port', '8090', '--seed=20', '--auto-ship'])).toEqual({ port: 8090, seed: 20, autoShip: true });
    expect(parseSimArgs(['--sid', 'S', '--appkey', 'K', '--appsecret', 'X'])).toEqual({ accounts: [{ sid: 'S', appkey: 'K', appsecret: 'X' }] });
    expect(parseSimArgs(['--appsecret', 'X']).accounts).toEqual([{ sid: 'qiaodemo', appkey: 'qiaodemo-test', appsecret: 'X' }]);
    const files: Record<string, string> = { 'acc.json': '[{"sid":"a","appkey":"b","appsecret":"c"}]', 'f.json': '{"trade_push":{"errorRate":0.1}}', 'bad.json': '{"sid":1}' };
    const read = (p: string) => files[p] ?? (() => { throw new Error('ENOENT'); })();
    expect(parseSimArgs(['--accounts', 'acc.json', '--faults', 'f.json'], read)).toEqual({
      accounts: [{ sid: 'a', appkey: 'b', appsecret: 'c' }],
      faults: { trade_push: { errorRate: 0.1 } },
    });
    expect(() => parseSimArgs(['--port', 'x'])).toThrow(/--port must be/);
    expect(() => parseSimArgs(['--port'])).toThrow(/needs a value/);
    expect(() => parseSimArgs(['--accounts', 'bad.json'], read)).toThrow(/JSON list/);
    expect(() => parseSimArgs(['--accounts', 'missing.json'], read)).toThrow(/ENOENT/);
    expect(() => parseSimArgs(['--nope'])).toThrow(/unknown option/);
  });

  it('rejects an invalid fault config at start', async () => {
    await expect(sandbox({ faults: { trade_push: { errorRate: 5 } } })).rejects.toThrow(/rate is between 0 and 1/);
  });
});
