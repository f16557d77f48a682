/** Shared test fixtures: a real sandbox on 127.0.0.1:0 and a real WdtClient against it. */
import { startWdtSandbox, WdtClient, WDT_DEMO_ACCOUNT, type WdtSandboxHandle, type WdtSandboxOptions, type WdtClientOptions } from '../../src/connectors/wdt/index.ts';
import { fmtBeijing } from '../../src/connectors/wdt/sim/time.ts';

export { fmtBeijing };

export async function sandbox(opts: WdtSandboxOptions = {}): Promise<WdtSandboxHandle> {
  return startWdtSandbox({ host: '127.0.0.1', port: 0, ...opts });
}

export function client(sb: WdtSandboxHandle, opts: Partial<WdtClientOptions> = {}): WdtClient {
  return new WdtClient({
    baseUrl: sb.url,
    sid: WDT_DEMO_ACCOUNT.sid,
    appkey: WDT_DEMO_ACCOUNT.appkey,
    appsecret: WDT_DEMO_ACCOUNT.appsecret,
    timeoutMs: 5_000,
    ...opts,
  });
}

let seq = 0;
/** A complete, valid trade_push trade. */
export function trade(tid = `T${Date.now()}-${++seq}`, over: Record<string, unknown> = {}, lineOver: Record<string, unknown> = {}) {
  return {
    tid,
    trade_status: 30,
    pay_status: 2,
    delivery_term: 1,
    trade_time: '2024-06-01 10:00:00',
    pay_time: '2024-06-01 10:01:00',
    buyer_nick: `买家${tid}`,
    receiver_name: '张三',
    receiver_province: '浙江省',
    receiver_city: '杭州市',
    receiver_district: '西湖区',
    receiver_address: '文三路 90 号',
    receiver_mobile: '13800000000',
    logistics_type: -1,
    post_amount: '8.00',
    cod_amount: 0,
    ext_cod_fee: 0,
    other_amount: 0,
    paid: '206.00',
    order_list: [
      {
        oid: `${tid}-1`, num: 2, price: '99.00', status: 30, refund_status: 0, goods_id: 'G001', spec_id: 'SKU001',
        goods_no: 'G001', spec_no: 'SKU001', goods_name: '纯棉T恤', spec_name: '白色 M', adjust_amount: 0, discount: 0,
        share_discount: 0, ...lineOver,
      },
    ],
    ...over,
  };
}

export async function json(sb: WdtSandboxHandle, path: string, init?: { method?: string; body?: unknown }): Promise<any> {
  const res = await fetch(sb.url + path, {
    method: init?.method ?? 'GET',
    headers: init?.body !== undefined ? { 'content-type': 'application/json' } : undefined,
    body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  return res.json();
}

export const beijingNow = () => fmtBeijing(Date.now());
export const beijingAgo = (ms: number) => fmtBeijing(Date.now() - ms);
