/**
 * The simulated APIs. Each handler gets the authenticated tenant and the form params (strings), validates like
 * the real server (catalogue metadata + business rules), changes state, and returns the success body
 * (`code`/`message` are added by the caller) or throws a SimError.
 */
import type { WdtApiSpec, WdtParam } from '../catalogue.ts';
import { SimError } from './errors.ts';
import type { ApiFaults } from './faults.ts';
import { PUSHABLE_PLATFORMS, type RawTrade, type Shop, type SysTrade, type Tenant, type Transfer } from './model.ts';
import type { ApiStats, WdtSim } from './sim.ts';
import { beijingMinuteOfDay, dec4, fmtBeijing, parseBeijing, ZERO_TIME } from './time.ts';
import { checkObject, isEmpty } from './validate.ts';

export interface Ctx {
  sim: WdtSim;
  tenant: Tenant;
  api: string;
  spec: WdtApiSpec;
  now: number;
  faults?: ApiFaults;
  stats: ApiStats;
}
type Params = Record<string, string>;
type Body = Record<string, unknown>;
type Handler = (ctx: Ctx, p: Params) => Body;

const V = (msg: string) => new SimError('validation', msg);
const pad = (n: number, w = 8) => String(n).padStart(w, '0');
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const num = (v: unknown) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};
const time = (ms: number | undefined) => (ms === undefined ? ZERO_TIME : fmtBeijing(ms));

// ---------------------------------------------------------------- shared request helpers

/** A JSON-valued param (trade_list …): parsed, shape- and size-checked. */
function jsonParam(ctx: Ctx, p: Params, name: string, single: boolean): unknown {
  const raw = p[name];
  if (isEmpty(raw)) throw V(`${name} 不能为空`);
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw V(`${name} 不是合法的JSON`);
  }
  if (single) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw V(`${name} 必须是JSON对象`);
    return v;
  }
  if (!Array.isArray(v)) throw V(`${name} 必须是JSON数组`);
  if (v.length === 0) throw V(`${name} 不能为空`);
  const max = ctx.sim.maxItems(ctx.spec);
  if (v.length > max) throw V(`${name} 每次最多 ${max} 条, 实际 ${v.length} 条`);
  ctx.stats.items += v.length;
  return v;
}

function pushableShop(t: Tenant, shop_no: string): Shop {
  const shop = t.shops.get(shop_no);
  if (!shop) throw new SimError('shop_not_found', `店铺不存在: ${shop_no}`);
  if (!PUSHABLE_PLATFORMS.has(shop.platform_id)) {
    throw new SimError('shop_platform', `店铺 ${shop_no} 不是自有/其它平台店铺, 不支持推送`);
  }
  return shop;
}

function warehouse(t: Tenant, no: string, path: string): void {
  if (!t.warehouses.has(no)) throw new SimError('not_found', `${path} 仓库不存在: ${no}`);
}

function spec(t: Tenant, no: string, path: string): void {
  if (!t.specs.has(no)) throw new SimError('not_found', `${path} 商家编码不存在: ${no}`);
}

/** Query params: field checks (enum, int, datetime, page_size range) answer 参数值无效. */
function checkQuery(ctx: Ctx, p: Params): { pageNo: number; pageSize: number } {
  const e = checkObject(ctx.spec.request as WdtParam[], p, '');
  if (e) throw new SimError('invalid_value', e);
  const ps = ctx.spec.query?.pageSize;
  return {
    pageNo: isEmpty(p.page_no) ? 0 : Number(p.page_no),
    pageSize: isEmpty(p.page_size) ? (ps?.default ?? 40) : Number(p.page_size),
  };
}

/** The time window; absent only when a key param (单号) is given. Enforces the API's maximum span. */
function windowOf(ctx: Ctx, p: Params): { start: number; end: number } | undefined {
  const hasStart = !isEmpty(p.start_time);
  const hasEnd = !isEmpty(p.end_time);
  if (!hasStart && !hasEnd) {
    if ((ctx.spec.keyParams ?? []).some((k) => !isEmpty(p[k]))) return undefined;
    throw new SimError('time_range_required', `start_time/end_time 与 ${(ctx.spec.keyParams ?? []).join('/')} 不能全部为空`);
  }
  if (!hasStart || !hasEnd) throw new SimError('invalid_value', 'start_time 和 end_time 必须同时传');
  const start = parseBeijing(p.start_time)!;
  const end = parseBeijing(p.end_time)!;
  if (start > end) throw new SimError('invalid_value', 'start_time 不能晚于 end_time');
  const max = ctx.spec.query?.maxWindowMinutes;
  if (max !== undefined && end - start > max * 60_000) {
    const span = max % 1440 === 0 ? `${max / 1440} 天` : `${max} 分钟`;
    throw new SimError('window_exceeded', `时间跨度不能超过 ${span}`);
  }
  return { start, end };
}

function inWindow(w: { start: number; end: number } | undefined, ms: number | undefined): boolean {
  if (!w) return true;
  if (ms === undefined) return false;
  const s = Math.floor(ms / 1000) * 1000; // second resolution, closed interval
  return s >= w.start && s <= w.end;
}

function paginate<T>(rows: T[], page: { pageNo: number; pageSize: number }): { total_count: number; rows: T[] } {
  const from = page.pageNo * page.pageSize;
  return { total_count: rows.length, rows: rows.slice(from, from + page.pageSize) };
}

// ---------------------------------------------------------------- trade_push

type Obj = Record<string, unknown>;
const lines = (tr: Obj) => (Array.isArray(tr.order_list) ? (tr.order_list as Obj[]) : []);

interface PushScope {
  tids: Set<string>;
  oids: Map<string, string>;
  nicks: Map<string, number>;
  rejected?: Set<string>;
}

/** Everything the real server checks for one trade, before anything is stored. Returns a message or undefined. */
function checkTrade(ctx: Ctx, tr: unknown, i: number, shop: Shop, scope: PushScope): { message: string; kind: 'validation' | 'rejected' } | undefined {
  const path = `trade_list[${i}]`;
  if (!tr || typeof tr !== 'object' || Array.isArray(tr)) return { message: `${path} 必须是对象`, kind: 'validation' };
  const t = tr as Obj;
  // 省市区为空时从以空格分隔的 receiver_address 解析
  if (isEmpty(t.receiver_province) || isEmpty(t.receiver_city) || isEmpty(t.receiver_district)) {
    const parts = typeof t.receiver_address === 'string' ? t.receiver_address.trim().split(/\s+/) : [];
    if (parts.length >= 4) {
      if (isEmpty(t.receiver_province)) t.receiver_province = parts[0];
      if (isEmpty(t.receiver_city)) t.receiver_city = parts[1];
      if (isEmpty(t.receiver_district)) t.receiver_district = parts[2];
    }
  }
  const tidLabel = isEmpty(t.tid) ? path : `订单${String(t.tid)}`;
  const bad = (m: string) => ({ message: `${tidLabel}: ${m}`, kind: 'validation' as const });
  const e = checkObject(ctx.spec.request as WdtParam[], t, path);
  if (e) return bad(e);
  const tid = String(t.tid);
  if (scope.rejected?.has(tid)) return { message: `订单${tid}: 模拟拒绝(故障注入 rejectTids)`, kind: 'rejected' };
  if (scope.tids.has(tid)) return bad(`trade_list 中原始单号重复: ${tid}`);
  const tn = ctx.tenant;
  const existing = tn.rawTrades.get(tid);
  if (existing && existing.shop_no !== shop.shop_no) return bad(`原始单号 ${tid} 已存在于店铺 ${existing.shop_no}`);
  if (!isEmpty(t.warehouse_no) && !tn.warehouses.has(String(t.warehouse_no))) return bad(`仓库不存在: ${String(t.warehouse_no)}`);
  const nick = String(t.buyer_nick);
  const n = (scope.nicks.get(nick) ?? 0) + 1;
  if (n > 30) return bad(`同一客户网名 ${nick} 每次推送不能超过 30 单`);
  const ls = lines(t);
  const local = new Set<string>();
  for (let j = 0; j < ls.length; j++) {
    const l = ls[j];
    const lp = `${path}.order_list[${j}]`;
    if (isEmpty(l.goods_no) && isEmpty(l.spec_no)) return bad(`${lp} goods_no 与 spec_no 不能同时为空`);
    const oid = String(l.oid);
    if (local.has(oid) || scope.oids.has(oid)) return bad(`${lp} 子订单编号重复: ${oid}`);
    local.add(oid);
    const owner = tn.oidOwner.get(oid);
    if (owner !== undefined && owner !== tid) return bad(`${lp} 子订单编号 ${oid} 已被订单 ${owner} 使用`);
    const prev = existing?.lines.get(oid);
    if (prev && (prev.num !== num(l.num) || prev.price !== num(l.price))) {
      return bad(`${lp} 子订单 ${oid} 的数量和单价推送后不可修改 (原 num=${prev.num}, price=${prev.price})`);
    }
  }
  scope.tids.add(tid);
  for (const oid of local) scope.oids.set(oid, tid);
  scope.nicks.set(nick, n);
  return undefined;
}

/** Store one checked trade (upsert by tid) and 递交 it to a system order. Returns true when new. */
export function applyTrade(ctx: Ctx, tr: Obj, shop: Shop): boolean {
  const { tenant: t, now } = ctx;
  const tid = String(tr.tid);
  let raw = t.rawTrades.get(tid);
  const isNew = !raw;
  if (!raw) {
    raw = { tid, shop_no: shop.shop_no, data: tr, pushCount: 1, created: now, modified: now, lines: new Map(), refundStatus: new Map() };
    t.rawTrades.set(tid, raw);
  } else {
    raw.data = tr;
    raw.pushCount++;
    raw.modified = now;
  }
  for (const l of lines(tr)) {
    const oid = String(l.oid);
    if (!raw.lines.has(oid)) raw.lines.set(oid, { num: num(l.num), price: num(l.price) });
    t.oidOwner.set(oid, tid);
  }
  deliver(ctx.sim, t, raw, now);
  return isNew;
}

/**
 * 递交: a raw order becomes (or updates) a system order. Unpaid → 待付款/待尾款; paid → 待客审; arriving
 * already shipped → 已取消 (the ERP's rule), unless in 自动流转 mode (is_auto_wms=1), where it is recorded as shipped.
 */
function deliver(sim: WdtSim, t: Tenant, raw: RawTrade, now: number): void {
  const ts = num(raw.data.trade_status);
  const auto = str(raw.data.is_auto_wms) === '1';
  let sys = raw.trade_no ? t.sysTrades.get(raw.trade_no) : undefined;
  if (!sys) {
    const status = ts === 10 ? 10 : ts === 20 ? 12 : ts === 30 ? 30 : ts >= 40 && ts <= 70 && auto ? 30 : 5;
    const seq = t.next('trade');
    sys = {
      trade_id: seq, trade_no: `JY${pad(seq)}`, tid: raw.tid, shop_no: raw.shop_no,
      warehouse_no: isEmpty(raw.data.warehouse_no) ? t.defaultWarehouse() : str(raw.data.warehouse_no),
      status, created: now, modified: now,
    };
    t.sysTrades.set(sys.trade_no, sys);
    t.sysByTid.set(raw.tid, sys.trade_no);
    raw.trade_no = sys.trade_no;
    if (auto && ts >= 50 && ts <= 70) shipOne(t, sys, raw, now, ts === 70 ? 110 : 95);
    else if (sim.options.autoShip && status === 30) shipOne(t, sys, raw, now, 95);
    return;
  }
  sys.modified = now;
  if (sys.status >= 95 || sys.status === 5) return;
  if (!isEmpty(raw.data.warehouse_no)) sys.warehouse_no = str(raw.data.warehouse_no);
  if (ts === 80 || ts === 90) sys.status = 5;
  else if ((sys.status === 10 || sys.status === 12) && ts === 30) sys.status = 30;
  if (auto && ts >= 50 && ts <= 70 && sys.status !== 5) shipOne(t, sys, raw, now, ts === 70 ? 110 : 95);
  else if (sim.options.autoShip && sys.status === 30) shipOne(t, sys, raw, now, 95);
}

function activeLines(raw: RawTrade): Obj[] {
  return lines(raw.data).filter((l) => num(l.refund_status) !== 5 && raw.refundStatus.get(String(l.oid)) !== 5);
}

/** Ship one system order: 已发货, a 销售出库单, stock out of its warehouse, a 物流同步 row. */
export function shipOne(t: Tenant, sys: SysTrade, raw: RawTrade, now: number, status = 95, logisticsNo?: string): void {
  const logistics_no = logisticsNo ?? `SIM${pad(t.next('logistics_no'), 10)}`;
  sys.status = status;
  sys.consign_time = now;
  sys.modified = now;
  sys.logistics_no = logistics_no;
  const seq = t.next('stockout');
  const stockout_no = `CK${pad(seq)}`;
  t.stockouts.set(stockout_no, {
    stockout_id: seq, stockout_no, trade_no: sys.trade_no, tid: sys.tid, shop_no: sys.shop_no, warehouse_no: sys.warehouse_no,
    status: status >= 110 ? 110 : 95, consign_time: now, logistics_no, created: now, modified: now,
  });
  sys.stockout_no = stockout_no;
  const ls = activeLines(raw);
  for (const l of ls) {
    const key = str(l.spec_no) || str(l.goods_no);
    t.moveStock(sys.warehouse_no, key, -num(l.num), now);
  }
  const rec_id = t.next('logistics');
  t.logistics.set(rec_id, {
    rec_id, shop_no: sys.shop_no, tid: sys.tid, trade_id: sys.trade_id, platform_id: t.shops.get(sys.shop_no)?.platform_id ?? 127,
    logistics_no, logistics_type: isEmpty(raw.data.logistics_type) ? -1 : num(raw.data.logistics_type),
    delivery_term: num(raw.data.delivery_term) || 1, consign_time: now, oids: ls.map((l) => str(l.oid)).join(','),
    sync_status: 0, message: '', created: now, modified: now,
  });
}

export interface ShipOptions {
  tids?: string[];
  trade_nos?: string[];
  shop_no?: string;
  /** Cap on how many orders to ship. */
  limit?: number;
  /** 95 已发货 (default) or 110 已完成. */
  status?: number;
  logistics_no?: string;
}

const SHIPPABLE = new Set([30, 35, 55]);

export function shipTrades(sim: WdtSim, t: Tenant, o: ShipOptions) {
  const now = sim.now();
  const shipped: Array<{ tid: string; trade_no: string; stockout_no: string; logistics_no: string }> = [];
  const skipped: Array<{ tid?: string; trade_no?: string; reason: string }> = [];
  const limit = o.limit ?? Infinity;
  const status = o.status === 110 ? 110 : 95;
  let candidates: Array<SysTrade | { tid?: string; trade_no?: string; missing: true }>;
  if (o.tids?.length || o.trade_nos?.length) {
    candidates = [
      ...(o.tids ?? []).map((tid) => {
        const no = t.sysByTid.get(String(tid));
        return (no && t.sysTrades.get(no)) || { tid: String(tid), missing: true as const };
      }),
      ...(o.trade_nos ?? []).map((no) => t.sysTrades.get(String(no)) ?? { trade_no: String(no), missing: true as const }),
    ];
  } else {
    candidates = [...t.sysTrades.values()].filter((s) => SHIPPABLE.has(s.status) && (!o.shop_no || s.shop_no === o.shop_no));
  }
  for (const c of candidates) {
    if (shipped.length >= limit) break;
    if ('missing' in c) {
      skipped.push({ tid: c.tid, trade_no: c.trade_no, reason: '订单不存在' });
      continue;
    }
    if (!SHIPPABLE.has(c.status)) {
      skipped.push({ tid: c.tid, trade_no: c.trade_no, reason: `订单状态 ${c.status} 不可发货` });
      continue;
    }
    shipOne(t, c, t.rawTrades.get(c.tid)!, now, status, o.logistics_no);
    shipped.push({ tid: c.tid, trade_no: c.trade_no, stockout_no: c.stockout_no!, logistics_no: c.logistics_no! });
  }
  return { shipped, skipped };
}

function tradePush(ctx: Ctx, p: Params): Body {
  const e = checkObject(ctx.spec.otherRequest as WdtParam[], p, '');
  if (e) throw V(e);
  const shop = pushableShop(ctx.tenant, p.shop_no);
  const strict = isEmpty(p.switch) || p.switch === '1';
  const list = jsonParam(ctx, p, 'trade_list', false) as unknown[];
  const scope: PushScope = { tids: new Set(), oids: new Map(), nicks: new Map(), rejected: ctx.sim.faults.rejected('trade_push') };
  const good: Obj[] = [];
  const errors: Array<{ tid: string; error: string }> = [];
  for (let i = 0; i < list.length; i++) {
    const err = checkTrade(ctx, list[i], i, shop, scope);
    if (!err) good.push(list[i] as Obj);
    else if (strict) throw new SimError(err.kind, err.message);
    else errors.push({ tid: str((list[i] as Obj | null)?.tid), error: err.message });
  }
  let newCount = 0;
  let chgCount = 0;
  for (const tr of good) {
    if (applyTrade(ctx, tr, shop)) newCount++;
    else chgCount++;
  }
  ctx.stats.new_count += newCount;
  ctx.stats.chg_count += chgCount;
  return errors.length ? { new_count: newCount, chg_count: chgCount, errors } : { new_count: newCount, chg_count: chgCount };
}

// ---------------------------------------------------------------- trade / stockout queries

function tradeRow(t: Tenant, sys: SysTrade): Body {
  const raw = t.rawTrades.get(sys.tid)!;
  const d = raw.data;
  const ls = lines(d);
  let count = 0;
  let amount = 0;
  const goods_list = ls.map((l, i) => {
    const n = num(l.num);
    const price = num(l.price);
    const share = n * price + num(l.adjust_amount) - num(l.discount) - num(l.share_discount);
    count += n;
    amount += n * price;
    const spec = t.specs.get(str(l.spec_no));
    return {
      rec_id: String(sys.trade_id * 1000 + i + 1), src_oid: str(l.oid), src_tid: sys.tid, goods_no: spec?.goods_no ?? str(l.goods_no),
      goods_name: str(l.goods_name), spec_no: str(l.spec_no), spec_name: str(l.spec_name), num: dec4(n), price: dec4(price),
      order_price: dec4(n ? share / n : 0), share_amount: dec4(share),
      refund_status: String(raw.refundStatus.get(str(l.oid)) ?? num(l.refund_status)), remark: str(l.remark),
    };
  });
  const shop = t.shops.get(sys.shop_no);
  const paid = num(d.paid);
  const receivable = amount + num(d.post_amount) + num(d.other_amount);
  return {
    trade_id: String(sys.trade_id), trade_no: sys.trade_no, platform_id: String(shop?.platform_id ?? 127), shop_no: sys.shop_no,
    shop_name: shop?.shop_name ?? '', warehouse_no: sys.warehouse_no, src_tids: sys.tid, trade_status: String(sys.status),
    delivery_term: str(d.delivery_term), trade_time: str(d.trade_time) || ZERO_TIME, pay_time: str(d.pay_time) || ZERO_TIME,
    consign_time: time(sys.consign_time), buyer_nick: str(d.buyer_nick), receiver_name: str(d.receiver_name),
    receiver_province: str(d.receiver_province), receiver_city: str(d.receiver_city), receiver_district: str(d.receiver_district),
    receiver_address: str(d.receiver_address), receiver_mobile: str(d.receiver_mobile), logistics_no: sys.logistics_no ?? '',
    buyer_message: str(d.buyer_message), cs_remark: str(d.seller_memo), goods_count: dec4(count), goods_type_count: String(ls.length),
    goods_amount: dec4(amount), post_amount: dec4(d.post_amount), paid: dec4(paid), receivable: dec4(receivable),
    stockout_no: sys.stockout_no ?? '', modified: time(sys.modified), created: time(sys.created), goods_list,
  };
}

function byTimeThenId<T>(rows: T[], at: (r: T) => number | undefined, id: (r: T) => number): T[] {
  return rows.sort((a, b) => (at(a) ?? 0) - (at(b) ?? 0) || id(a) - id(b));
}

function tradeQuery(ctx: Ctx, p: Params): Body {
  const page = checkQuery(ctx, p);
  const w = windowOf(ctx, p);
  const t = ctx.tenant;
  let src: Iterable<SysTrade> = t.sysTrades.values();
  if (!isEmpty(p.src_tid)) {
    const no = t.sysByTid.get(p.src_tid);
    src = no ? [t.sysTrades.get(no)!] : [];
  } else if (!isEmpty(p.trade_no)) src = t.sysTrades.has(p.trade_no) ? [t.sysTrades.get(p.trade_no)!] : [];
  const status = isEmpty(p.status) ? undefined : Number(p.status);
  const rows: SysTrade[] = [];
  for (const s of src) {
    if (!inWindow(w, s.modified)) continue;
    if (status !== undefined && s.status !== status) continue;
    if (!isEmpty(p.shop_no) && s.shop_no !== p.shop_no) continue;
    if (!isEmpty(p.warehouse_no) && s.warehouse_no !== p.warehouse_no) continue;
    if (!isEmpty(p.logistics_no) && s.logistics_no !== p.logistics_no) continue;
    if (p.has_logistics_no === '1' && !s.logistics_no) continue;
    rows.push(s);
  }
  const { total_count, rows: pageRows } = paginate(byTimeThenId(rows, (r) => r.modified, (r) => r.trade_id), page);
  return { total_count, trades: pageRows.map((s) => tradeRow(t, s)) };
}

function stockoutQuery(ctx: Ctx, p: Params): Body {
  const page = checkQuery(ctx, p);
  const w = windowOf(ctx, p);
  const t = ctx.tenant;
  const status = isEmpty(p.status) ? undefined : Number(p.status);
  const byModified = p.is_by_modified === '1' || (status !== undefined && status < 95);
  const rows = [];
  for (const so of t.stockouts.values()) {
    if (status === undefined ? so.status < 95 : so.status !== status) continue;
    if (!inWindow(w, byModified ? so.modified : so.consign_time)) continue;
    if (!isEmpty(p.src_order_no) && so.trade_no !== p.src_order_no) continue;
    if (!isEmpty(p.src_tid) && so.tid !== p.src_tid) continue;
    if (!isEmpty(p.stockout_no) && so.stockout_no !== p.stockout_no) continue;
    if (!isEmpty(p.shop_no) && so.shop_no !== p.shop_no) continue;
    if (!isEmpty(p.warehouse_no) && so.warehouse_no !== p.warehouse_no) continue;
    rows.push(so);
  }
  const sorted = byTimeThenId(rows, (r) => (byModified ? r.modified : r.consign_time), (r) => r.stockout_id);
  const { total_count, rows: pageRows } = paginate(sorted, page);
  return {
    total_count,
    stockout_list: pageRows.map((so) => {
      const raw = t.rawTrades.get(so.tid)!;
      const d = raw.data;
      let count = 0;
      let total = 0;
      const details_list = activeLines(raw).map((l) => {
        const n = num(l.num);
        const amount = n * num(l.price) + num(l.adjust_amount) - num(l.discount) - num(l.share_discount);
        count += n;
        total += amount;
        return {
          src_oid: str(l.oid), src_tid: so.tid, goods_no: t.specs.get(str(l.spec_no))?.goods_no ?? str(l.goods_no), goods_name: str(l.goods_name),
          spec_no: str(l.spec_no), spec_name: str(l.spec_name), goods_count: dec4(n), sell_price: dec4(n ? amount / n : 0), total_amount: dec4(amount),
        };
      });
      return {
        stockout_id: String(so.stockout_id), order_no: so.stockout_no, src_order_no: so.trade_no, src_tids: so.tid,
        status: String(so.status), shop_no: so.shop_no, warehouse_no: so.warehouse_no, consign_time: time(so.consign_time),
        logistics_no: so.logistics_no, logistics_name: '模拟快递', buyer_nick: str(d.buyer_nick), receiver_name: str(d.receiver_name),
        receiver_address: str(d.receiver_address), receiver_mobile: str(d.receiver_mobile), goods_count: dec4(count),
        goods_total_amount: dec4(total), post_amount: dec4(d.post_amount), paid: dec4(d.paid),
        modified: time(so.modified), created: time(so.created), details_list,
      };
    }),
  };
}

// ---------------------------------------------------------------- refunds

function salesRefundPush(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const list = jsonParam(ctx, p, 'api_refund_list', false) as unknown[];
  const seen = new Set<string>();
  const rejected = ctx.sim.faults.rejected('sales_refund_push');
  list.forEach((r, i) => {
    const path = `api_refund_list[${i}]`;
    const e = checkObject(ctx.spec.request as WdtParam[], r, path);
    if (e) throw V(e);
    const o = r as Obj;
    const tid = str(o.tid);
    const refundNo = str(o.refund_no);
    if (rejected?.has(tid)) throw new SimError('rejected', `订单${tid}: 模拟拒绝(故障注入 rejectTids)`);
    if (seen.has(refundNo)) throw V(`${path} 退款单号重复: ${refundNo}`);
    seen.add(refundNo);
    pushableShop(t, str(o.shop_no));
    const raw = t.rawTrades.get(tid);
    if (!raw) throw new SimError('not_found', `${path} 原始订单不存在: ${tid}`);
    if (raw.shop_no !== str(o.shop_no)) throw V(`${path} 原始订单 ${tid} 不属于店铺 ${str(o.shop_no)}`);
    const prev = t.refunds.get(refundNo);
    if (prev && prev.tid !== tid) throw V(`${path} 退款单号 ${refundNo} 已属于订单 ${prev.tid}`);
    (o.order_list as Obj[]).forEach((l, j) => {
      const line = raw.lines.get(str(l.oid));
      if (!line) throw V(`${path}.order_list[${j}] 子订单 ${str(l.oid)} 不属于订单 ${tid}`);
      if (num(l.num) <= 0 || num(l.num) > line.num) throw V(`${path}.order_list[${j}] 退款数量无效: ${str(l.num)}`);
    });
  });
  let newCount = 0;
  let chgCount = 0;
  for (const r of list as Obj[]) {
    const refundNo = str(r.refund_no);
    let refund = t.refunds.get(refundNo);
    if (!refund) {
      refund = { refund_id: t.next('refund'), refund_no: refundNo, tid: str(r.tid), shop_no: str(r.shop_no), type: num(r.type), status: num(r.status), data: r, pushCount: 1, created: ctx.now, modified: ctx.now };
      t.refunds.set(refundNo, refund);
      newCount++;
    } else {
      Object.assign(refund, { type: num(r.type), status: num(r.status), data: r, modified: ctx.now });
      refund.pushCount++;
      chgCount++;
    }
    const raw = t.rawTrades.get(refund.tid)!;
    for (const l of r.order_list as Obj[]) raw.refundStatus.set(str(l.oid), refund.status);
    raw.modified = ctx.now;
    const sys = raw.trade_no ? t.sysTrades.get(raw.trade_no) : undefined;
    if (sys) {
      sys.modified = ctx.now;
      // Everything refunded before shipping: the system order is cancelled.
      if (sys.status < 95 && sys.status !== 5 && activeLines(raw).length === 0) sys.status = 5;
    }
  }
  ctx.stats.new_count += newCount;
  ctx.stats.chg_count += chgCount;
  return { new_count: newCount, chg_count: chgCount };
}

// ---------------------------------------------------------------- logistics sync

function logisticsSyncQuery(ctx: Ctx, p: Params): Body {
  const e = checkObject(ctx.spec.request as WdtParam[], p, '');
  if (e) throw new SimError('invalid_value', e);
  const t = ctx.tenant;
  if (!isEmpty(p.shop_no) && !t.shops.has(p.shop_no)) throw new SimError('shop_not_found', `店铺不存在: ${p.shop_no}`);
  const limit = isEmpty(p.limit) ? 100 : Math.min(100, Number(p.limit));
  const trades = [];
  for (const r of t.logistics.values()) {
    if (trades.length >= limit) break;
    if (r.sync_status !== 0) continue;
    if (!isEmpty(p.shop_no) && r.shop_no !== p.shop_no) continue;
    trades.push({
      rec_id: String(r.rec_id), shop_no: r.shop_no, tid: r.tid, platform_id: String(r.platform_id), logistics_type: String(r.logistics_type),
      logistics_no: r.logistics_no, logistics_code_erp: 'SIM', logistics_name_erp: '模拟快递', logistics_name: '模拟快递',
      delivery_term: String(r.delivery_term), consign_time: time(r.consign_time), oids: r.oids, is_part_sync: '0', trade_id: String(r.trade_id),
    });
  }
  return { trades };
}

function logisticsSyncAck(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const list = jsonParam(ctx, p, 'logistics_list', false) as unknown[];
  list.forEach((r, i) => {
    const e = checkObject(ctx.spec.request as WdtParam[], r, `logistics_list[${i}]`);
    if (e) throw V(e);
  });
  const errors: Array<{ rec_id: string; error: string }> = [];
  for (const r of list as Obj[]) {
    const row = t.logistics.get(Number(r.rec_id));
    if (!row || row.sync_status !== 0) {
      errors.push({ rec_id: str(r.rec_id), error: '非待同步状态,不可更新' });
      continue;
    }
    row.sync_status = num(r.status) === 0 ? 1 : 2;
    row.message = str(r.message);
    row.modified = ctx.now;
  }
  return errors.length ? { errors } : {};
}

// ---------------------------------------------------------------- goods

function goodsPush(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const list = jsonParam(ctx, p, 'goods_list', false) as unknown[];
  const specOwner = new Map<string, string>();
  list.forEach((g, i) => {
    const path = `goods_list[${i}]`;
    const e = checkObject(ctx.spec.request as WdtParam[], g, path);
    if (e) throw V(e);
    const goodsNo = str((g as Obj).goods_no);
    ((g as Obj).spec_list as Obj[]).forEach((s, j) => {
      const specNo = str(s.spec_no);
      const owner = specOwner.get(specNo) ?? t.specs.get(specNo)?.goods_no;
      if (owner !== undefined && owner !== goodsNo) throw V(`${path}.spec_list[${j}] 商家编码 ${specNo} 已被货品 ${owner} 使用`);
      specOwner.set(specNo, goodsNo);
    });
  });
  let newCount = 0;
  let chgCount = 0;
  for (const g of list as Obj[]) {
    if (t.upsertGoods(g, ctx.now)) newCount++;
    else chgCount++;
  }
  ctx.stats.new_count += newCount;
  ctx.stats.chg_count += chgCount;
  return { new_count: newCount, chg_count: chgCount };
}

function goodsQuery(ctx: Ctx, p: Params): Body {
  const page = checkQuery(ctx, p);
  const w = windowOf(ctx, p);
  const t = ctx.tenant;
  let goodsNo = isEmpty(p.goods_no) ? undefined : p.goods_no;
  const specNo = !isEmpty(p.spec_no) ? p.spec_no : !isEmpty(p.barcode) ? t.barcodes.get(p.barcode) : undefined;
  if (specNo !== undefined || !isEmpty(p.barcode)) {
    const owner = specNo ? t.specs.get(specNo)?.goods_no : undefined;
    if (!owner || (goodsNo && goodsNo !== owner)) return { total_count: 0, goods_list: [] };
    goodsNo = owner;
  }
  const rows = [];
  for (const g of goodsNo ? [t.goods.get(goodsNo)].filter((x) => !!x) : t.goods.values()) {
    const modified = Math.max(g!.modified, ...g!.specNos.map((s) => t.specs.get(s)!.modified));
    if (!inWindow(w, modified)) continue;
    rows.push({ g: g!, modified });
  }
  const { total_count, rows: pageRows } = paginate(byTimeThenId(rows, (r) => r.modified, (r) => r.g.goods_id), page);
  return {
    total_count,
    goods_list: pageRows.map(({ g }) => ({
      goods_id: String(g.goods_id), goods_no: g.goods_no, goods_name: g.goods_name, goods_type: String(g.goods_type),
      class_name: g.class_name, brand_name: g.brand_name, unit_name: g.unit_name, modified: time(g.modified), created: time(g.created),
      spec_list: g.specNos.map((no) => {
        const s = t.specs.get(no)!;
        return {
          spec_id: String(s.spec_id), spec_no: s.spec_no, spec_name: s.spec_name, barcode: s.barcode,
          retail_price: dec4(s.retail_price), weight: dec4(s.weight), modified: time(s.modified),
        };
      }),
    })),
  };
}

// ---------------------------------------------------------------- stock

function stockRows(ctx: Ctx, p: Params, w?: { start: number; end: number }): Body[] {
  const t = ctx.tenant;
  const specNo = !isEmpty(p.spec_no) ? p.spec_no : !isEmpty(p.barcode) ? (t.barcodes.get(p.barcode) ?? '\u0000') : undefined;
  const rows = [];
  for (const r of t.stock.values()) {
    if (!inWindow(w, r.modified)) continue;
    if (!isEmpty(p.warehouse_no) && r.warehouse_no !== p.warehouse_no) continue;
    if (specNo !== undefined && r.spec_no !== specNo) continue;
    rows.push(r);
  }
  return byTimeThenId(rows, (r) => r.modified, (r) => r.rec_id).map((r) => {
    const s = t.specs.get(r.spec_no);
    const g = s ? t.goods.get(s.goods_no) : undefined;
    return {
      rec_id: String(r.rec_id), spec_no: r.spec_no, spec_name: s?.spec_name ?? '', goods_no: s?.goods_no ?? '', goods_name: g?.goods_name ?? '',
      barcode: s?.barcode ?? '', warehouse_no: r.warehouse_no, warehouse_name: t.warehouses.get(r.warehouse_no)?.name ?? '',
      stock_num: dec4(r.stock_num), lock_num: dec4(0), order_num: dec4(0), sending_num: dec4(0), purchase_num: dec4(0),
      transfer_num: dec4(0), avaliable_num: dec4(r.stock_num), modified: time(r.modified), created: time(r.created),
    };
  });
}

function stockQuery(ctx: Ctx, p: Params): Body {
  const page = checkQuery(ctx, p);
  const w = windowOf(ctx, p);
  const { total_count, rows } = paginate(stockRows(ctx, p, w), page);
  return { total_count, stocks: rows };
}

function stockQueryAll(ctx: Ctx, p: Params): Body {
  const page = checkQuery(ctx, p);
  if (beijingMinuteOfDay(ctx.now) >= 120) {
    throw new SimError('call_time', `该接口只允许在北京时间00:00-02:00调用, 当前 ${fmtBeijing(ctx.now).slice(11)}`);
  }
  const { total_count, rows } = paginate(stockRows(ctx, p), page);
  return { total_count, stocks: rows };
}

// ---------------------------------------------------------------- transfers

function singleDoc(ctx: Ctx, p: Params): Obj {
  const name = ctx.spec.batch!.param;
  const doc = jsonParam(ctx, p, name, true) as Obj;
  ctx.stats.items++;
  const e = checkObject(ctx.spec.request as WdtParam[], doc, name);
  if (e) throw V(e);
  return doc;
}

function stockTransferPush(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const d = singleDoc(ctx, p);
  const outer = str(d.outer_no);
  const existing = t.transferByOuter.get(outer);
  if (existing) return { transfer_no: existing };
  const from = str(d.from_warehouse_no);
  const to = str(d.to_warehouse_no);
  warehouse(t, from, 'transfer_info.from_warehouse_no');
  warehouse(t, to, 'transfer_info.to_warehouse_no');
  if (from === to) throw V('transfer_info 调出仓库和调入仓库不能相同');
  const skus = d.skus as Obj[];
  if (skus.length > 500) throw V(`transfer_info.skus 每次最多 500 行, 实际 ${skus.length} 行`);
  const seen = new Set<string>();
  skus.forEach((s, i) => {
    const path = `transfer_info.skus[${i}]`;
    spec(t, str(s.spec_no), path);
    if (seen.has(str(s.spec_no))) throw V(`${path} 商家编码重复: ${str(s.spec_no)}`);
    seen.add(str(s.spec_no));
    if (num(s.num) <= 0) throw V(`${path}.num 必须大于0`);
  });
  const type = isEmpty(d.transfer_type) ? 1 : num(d.transfer_type);
  const autocheck = num(d.autocheck) === 1;
  const seq = t.next('transfer');
  const tr: Transfer = {
    transfer_id: seq, transfer_no: `TF${pad(seq)}`, outer_no: outer, from_warehouse_no: from, to_warehouse_no: to,
    transfer_type: type, mode: num(d.mode), status: autocheck ? 40 : 20, remark: str(d.remark),
    skus: skus.map((s) => ({
      spec_no: str(s.spec_no), num: num(s.num), out_num: 0, in_num: 0, from_position_no: str(s.from_position_no),
      to_position_no: str(s.to_position_no), remark: str(s.remark),
    })),
    stockouts: [], stockins: [], created: ctx.now, modified: ctx.now,
  };
  t.transfers.set(tr.transfer_no, tr);
  t.transferByOuter.set(outer, tr.transfer_no);
  if (autocheck && type === 1) completeFastTransfer(t, tr, ctx.now);
  return { transfer_no: tr.transfer_no };
}

/** 快速调拨, once checked: stock moves from → to at once. */
export function completeFastTransfer(t: Tenant, tr: Transfer, now: number): void {
  for (const s of tr.skus) {
    t.moveStock(tr.from_warehouse_no, s.spec_no, -s.num, now);
    t.moveStock(tr.to_warehouse_no, s.spec_no, s.num, now);
    s.out_num = s.num;
    s.in_num = s.num;
  }
  tr.status = 90;
  tr.modified = now;
}

function transferOf(t: Tenant, no: string, path: string): Transfer {
  const tr = t.transfers.get(no);
  if (!tr) throw new SimError('not_found', `${path} 调拨单不存在: ${no}`);
  return tr;
}

function stockoutTransferPush(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const d = singleDoc(ctx, p);
  const outer = str(d.outer_no);
  if (outer && t.transferStockoutByOuter.has(outer)) return { stockout_no: t.transferStockoutByOuter.get(outer) };
  const tr = transferOf(t, str(d.src_order_no), 'stockout_info.src_order_no');
  if (tr.status !== 40 && tr.status !== 50) {
    throw new SimError('state_conflict', `调拨单 ${tr.transfer_no} 状态为 ${tr.status}, 只有已审核(40)或部分出库(50)的调拨单可以出库`);
  }
  if (!isEmpty(d.warehouse_no) && str(d.warehouse_no) !== tr.from_warehouse_no) {
    throw V(`stockout_info.warehouse_no ${str(d.warehouse_no)} 与调拨单调出仓库 ${tr.from_warehouse_no} 不一致`);
  }
  const goods = Array.isArray(d.goods_list) && d.goods_list.length
    ? (d.goods_list as Obj[]).map((g, i) => {
        const sku = tr.skus.find((s) => s.spec_no === str(g.spec_no));
        const path = `stockout_info.goods_list[${i}]`;
        if (!sku) throw V(`${path} 商家编码 ${str(g.spec_no)} 不在调拨单中`);
        if (num(g.num) <= 0 || num(g.num) > sku.num - sku.out_num) throw V(`${path} 出库数量 ${str(g.num)} 超过未出库数量 ${sku.num - sku.out_num}`);
        return { sku, n: num(g.num) };
      })
    : tr.skus.filter((s) => s.num > s.out_num).map((sku) => ({ sku, n: sku.num - sku.out_num }));
  for (const { sku, n } of goods) {
    sku.out_num += n;
    t.moveStock(tr.from_warehouse_no, sku.spec_no, -n, ctx.now);
  }
  tr.status = tr.skus.every((s) => s.out_num >= s.num) ? 60 : 50;
  tr.modified = ctx.now;
  const stockout_no = `DC${pad(t.next('transfer_stockout'))}`;
  tr.stockouts.push(stockout_no);
  if (outer) t.transferStockoutByOuter.set(outer, stockout_no);
  return { stockout_no };
}

function stockinTransferPush(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const d = singleDoc(ctx, p);
  const outer = str(d.outer_no);
  if (t.transferStockinByOuter.has(outer)) return { stockin_no: t.transferStockinByOuter.get(outer) };
  const tr = transferOf(t, str(d.src_order_no), 'stockin_info.src_order_no');
  if (![50, 60, 70].includes(tr.status)) {
    throw new SimError('state_conflict', `调拨单 ${tr.transfer_no} 状态为 ${tr.status}, 需先在调出仓出库后才能入库`);
  }
  if (str(d.warehouse_no) !== tr.to_warehouse_no) {
    throw V(`stockin_info.warehouse_no ${str(d.warehouse_no)} 与调拨单调入仓库 ${tr.to_warehouse_no} 不一致`);
  }
  const pending = new Map<string, number>();
  const goods = (d.goods_list as Obj[]).map((g, i) => {
    const path = `stockin_info.goods_list[${i}]`;
    const sku = tr.skus.find((s) => s.spec_no === str(g.spec_no));
    if (!sku) throw V(`${path} 商家编码 ${str(g.spec_no)} 不在调拨单中`);
    const already = pending.get(sku.spec_no) ?? 0;
    const n = num(g.num);
    if (n <= 0 || already + n > sku.out_num - sku.in_num) throw V(`${path} 入库数量 ${str(g.num)} 超过待入库数量 ${sku.out_num - sku.in_num - already}`);
    pending.set(sku.spec_no, already + n);
    return { sku, n };
  });
  for (const { sku, n } of goods) {
    sku.in_num += n;
    t.moveStock(tr.to_warehouse_no, sku.spec_no, n, ctx.now);
  }
  tr.status = tr.skus.every((s) => s.in_num >= s.num) ? 90 : 70;
  tr.modified = ctx.now;
  const stockin_no = `RK${pad(t.next('stockin'))}`;
  tr.stockins.push(stockin_no);
  t.transferStockinByOuter.set(outer, stockin_no);
  return { stockin_no };
}

function stockTransferQuery(ctx: Ctx, p: Params): Body {
  const page = checkQuery(ctx, p);
  const w = windowOf(ctx, p);
  const t = ctx.tenant;
  const status = isEmpty(p.status) ? undefined : Number(p.status);
  const rows = [];
  for (const tr of t.transfers.values()) {
    if (!inWindow(w, tr.modified)) continue;
    if (status !== undefined && tr.status !== status) continue;
    if (!isEmpty(p.transfer_no) && tr.transfer_no !== p.transfer_no) continue;
    if (!isEmpty(p.api_outer_no) && tr.outer_no !== p.api_outer_no) continue;
    if (!isEmpty(p.from_warehouse_no) && tr.from_warehouse_no !== p.from_warehouse_no) continue;
    if (!isEmpty(p.to_warehouse_no) && tr.to_warehouse_no !== p.to_warehouse_no) continue;
    rows.push(tr);
  }
  const { total_count, rows: pageRows } = paginate(byTimeThenId(rows, (r) => r.modified, (r) => r.transfer_id), page);
  return {
    total_count,
    transfer_list: pageRows.map((tr) => ({
      transfer_no: tr.transfer_no, type: String(tr.transfer_type), mode: String(tr.mode), from_warehouse_no: tr.from_warehouse_no,
      to_warehouse_no: tr.to_warehouse_no, status: String(tr.status), outer_no: tr.outer_no,
      goods_count: dec4(tr.skus.reduce((a, s) => a + s.num, 0)), goods_type_count: String(tr.skus.length),
      goods_out_count: dec4(tr.skus.reduce((a, s) => a + s.out_num, 0)), goods_in_count: dec4(tr.skus.reduce((a, s) => a + s.in_num, 0)),
      remark: tr.remark, modified: time(tr.modified), created: time(tr.created),
      details_list: tr.skus.map((s) => ({
        goods_no: t.specs.get(s.spec_no)?.goods_no ?? '', spec_no: s.spec_no, from_position: s.from_position_no, to_position: s.to_position_no,
        num: dec4(s.num), out_num: dec4(s.out_num), in_num: dec4(s.in_num), remark: s.remark,
      })),
    })),
  };
}

// ---------------------------------------------------------------- purchase

function purchaseOrderPush(ctx: Ctx, p: Params): Body {
  const t = ctx.tenant;
  const d = singleDoc(ctx, p);
  const outer = str(d.outer_no);
  const existing = t.purchaseByOuter.get(outer);
  if (existing) return { purchase_no: existing };
  if (!t.providers.has(str(d.provider_no))) throw new SimError('not_found', `purchase_info.provider_no 供应商不存在: ${str(d.provider_no)}`);
  warehouse(t, str(d.warehouse_no), 'purchase_info.warehouse_no');
  const details = (d.details_list as Obj[]).map((l, i) => {
    const path = `purchase_info.details_list[${i}]`;
    spec(t, str(l.spec_no), path);
    if (num(l.num) <= 0) throw V(`${path}.num 必须大于0`);
    if (num(l.price) < 0) throw V(`${path}.price 不能小于0`);
    return { spec_no: str(l.spec_no), num: num(l.num), price: num(l.price) };
  });
  const seq = t.next('purchase');
  const purchase_no = num(d.is_use_outer_no) === 1 ? outer : `CG${pad(seq)}`;
  if (t.purchases.has(purchase_no)) throw V(`采购单号已存在: ${purchase_no}`);
  t.purchases.set(purchase_no, {
    purchase_id: seq, purchase_no, outer_no: outer, provider_no: str(d.provider_no), warehouse_no: str(d.warehouse_no),
    status: num(d.is_check) === 1 ? 40 : 20, details, data: d, created: ctx.now, modified: ctx.now,
  });
  t.purchaseByOuter.set(outer, purchase_no);
  return { purchase_no };
}

/** POST /_sim/purchases/receive: a purchase order arrives; its goods go into stock. */
export function receivePurchase(sim: WdtSim, t: Tenant, purchase_no: string) {
  const po = t.purchases.get(purchase_no);
  if (!po) throw new SimError('not_found', `采购单不存在: ${purchase_no}`);
  if (po.status === 90) throw new SimError('state_conflict', `采购单 ${purchase_no} 已入库`);
  const now = sim.now();
  for (const l of po.details) t.moveStock(po.warehouse_no, l.spec_no, l.num, now);
  po.status = 90;
  po.modified = now;
  return { purchase_no, status: po.status };
}

/** POST /_sim/transfers/check: 审核 a transfer pushed with autocheck=0. */
export function checkTransfer(sim: WdtSim, t: Tenant, transfer_no: string) {
  const tr = transferOf(t, transfer_no, 'transfer_no');
  if (tr.status !== 20) throw new SimError('state_conflict', `调拨单 ${transfer_no} 状态为 ${tr.status}, 只有编辑中(20)可审核`);
  tr.status = 40;
  tr.modified = sim.now();
  if (tr.transfer_type === 1) completeFastTransfer(t, tr, tr.modified);
  return { transfer_no, status: tr.status };
}

export const handlers: Record<string, Handler> = {
  trade_push: tradePush,
  trade_query: tradeQuery,
  stockout_order_query_trade: stockoutQuery,
  sales_refund_push: salesRefundPush,
  logistics_sync_query: logisticsSyncQuery,
  logistics_sync_ack: logisticsSyncAck,
  goods_push: goodsPush,
  goods_query: goodsQuery,
  stock_query: stockQuery,
  stock_query_all: stockQueryAll,
  stock_transfer_push: stockTransferPush,
  stockout_transfer_push: stockoutTransferPush,
  stockin_transfer_push: stockinTransferPush,
  stock_transfer_query: stockTransferQuery,
  purchase_order_push: purchaseOrderPush,
};
