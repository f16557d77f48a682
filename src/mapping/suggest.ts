/**
 * Mapping suggestions for the console's field-mapping step: for each target field, the most likely source field
 * by name, Chinese label, type and a list of synonyms common in Chinese business systems (tid / 订单号 / 单据编号 …).
 * Pure and cheap; the user confirms.
 */
import type { MetaParam } from '../metadata/types.ts';
import { kindOf } from './coerce.ts';
import { childKey, normaliseParams } from './params.ts';

export interface MappingSuggestion {
  /** Target field path (`order_list.goods_no` for line fields). */
  target: string;
  /** Source field path. */
  source: string;
  /** 0…1, higher is surer. */
  score: number;
  reason: string;
}

/** Words that name the same thing across platforms. Lower-case; Chinese as written. */
export const SYNONYMS: string[][] = [
  ['tid', 'order_no', 'orderno', 'order_id', 'trade_no', 'tradeno', 'bill_no', 'billno', 'fbillno', 'src_tid', 'platform_order_no', '单据编号', '订单号', '订单编号', '原始单号', '单号', '平台订单号'],
  ['outer_no', 'outerno', 'external_no', 'ext_no', 'src_order_no', '外部单号', '外部订单号', '来源单号'],
  ['oid', 'sub_order_no', 'suborderno', 'order_item_id', 'item_id', 'entry_id', 'fentryid', '子订单编号', '子订单号', '明细编号'],
  ['shop_no', 'shop_code', 'shopcode', 'store_no', 'store_code', 'shop_id', '店铺编号', '店铺编码', '店铺'],
  ['warehouse_no', 'warehouse_code', 'stock_no', 'stock_code', 'fstockid', 'wh_code', '仓库编号', '仓库编码', '仓库'],
  ['goods_no', 'goods_code', 'item_code', 'product_code', 'material_code', 'material_no', 'fmaterialid', 'fnumber', '货品编码', '商品编码', '物料编码', '货号'],
  ['spec_no', 'spec_code', 'sku_no', 'sku_code', 'sku', 'barcode', '规格编码', 'sku编码', '条码'],
  ['goods_name', 'item_name', 'product_name', 'material_name', 'fname', 'title', '货品名称', '商品名称', '物料名称', '名称'],
  ['spec_name', 'sku_name', 'sku_properties', '规格名称', '规格'],
  ['num', 'qty', 'quantity', 'count', 'goods_count', 'fqty', 'frealqty', '数量', '件数'],
  ['price', 'unit_price', 'fprice', 'ftaxprice', 'sale_price', '单价', '价格', '售价'],
  ['receiver_name', 'consignee', 'receiver', 'contact_name', 'ship_name', '收件人', '收货人', '联系人'],
  ['receiver_mobile', 'mobile', 'phone', 'cellphone', 'receiver_phone', 'tel_mobile', '手机', '手机号', '联系电话', '电话'],
  ['receiver_telno', 'telephone', 'telno', 'tel', '固话', '座机'],
  ['receiver_address', 'address', 'ship_address', 'detail_address', '地址', '收货地址', '地址详情', '详细地址'],
  ['receiver_province', 'province', 'state', '省份', '省'],
  ['receiver_city', 'city', '城市', '市'],
  ['receiver_district', 'district', 'county', 'area', '区县', '区'],
  ['receiver_zip', 'zip', 'zipcode', 'postcode', '邮编'],
  ['trade_time', 'order_time', 'created', 'create_time', 'created_at', 'order_date', 'bill_date', 'billdate', 'fdate', '下单时间', '订单时间', '单据日期', '日期', '创建时间'],
  ['pay_time', 'paid_time', 'payment_time', '支付时间', '付款时间'],
  ['consign_time', 'ship_time', 'delivery_time', 'send_time', '发货时间'],
  ['trade_status', 'order_status', 'status', '订单状态', '平台状态', '状态'],
  ['pay_status', 'payment_status', '支付状态', '付款状态'],
  ['buyer_nick', 'buyer', 'customer', 'customer_name', 'nick', 'fcustid', '客户网名', '买家昵称', '客户', '买家'],
  ['buyer_message', 'buyer_memo', 'buyer_remark', '买家备注', '买家留言'],
  ['seller_memo', 'seller_remark', 'cs_remark', '客服备注', '卖家备注'],
  ['remark', 'memo', 'note', 'comment', 'fnote', '备注', '说明'],
  ['logistics_no', 'express_no', 'waybill_no', 'tracking_no', 'logistic_no', '物流单号', '快递单号', '运单号'],
  ['logistics_code', 'express_code', 'logistics_company', 'shipping_code', '物流公司', '快递公司'],
  ['post_amount', 'post_fee', 'freight', 'shipping_fee', 'delivery_fee', '邮费', '运费'],
  ['paid', 'paid_amount', 'payment', 'pay_amount', 'actual_amount', '已付', '实付金额', '支付金额', '实付'],
  ['discount', 'discount_fee', 'discount_amount', '优惠', '折扣', '优惠金额'],
  ['amount', 'total_amount', 'total_fee', 'fallamount', '金额', '总金额', '价税合计'],
  ['tax_rate', 'tax', 'ftaxrate', '税率'],
  ['invoice_title', 'invoice_name', '发票抬头'],
  ['supplier_no', 'supplier_code', 'vendor_code', 'fsupplierid', '供应商编码', '供应商编号', '供应商'],
];

const norm = (s: string) => s.toLowerCase().replace(/[\s_\-.]/g, '');

const groupIndex = new Map<string, number[]>();
SYNONYMS.forEach((g, i) => {
  for (const w of g) {
    const k = norm(w);
    const list = groupIndex.get(k) ?? [];
    if (!list.includes(i)) list.push(i);
    groupIndex.set(k, list);
  }
});

interface Entry {
  path: string;
  key: string;
  label: string;
  kind: string;
  /** Path of the enclosing array, '' at record level. */
  array: string;
  isArray: boolean;
}

function flatten(params: MetaParam[], parentField: string | undefined, parentPath: string, array: string, out: Entry[]): Entry[] {
  for (const p of params) {
    if (typeof p.field !== 'string') continue;
    const key = childKey(p.field, parentField);
    const path = parentPath ? `${parentPath}.${key}` : key;
    const kind = kindOf(p.type);
    const isArray = kind === 'array';
    out.push({ path, key: key.split('.').pop()!, label: typeof p.label === 'string' ? p.label.trim() : '', kind, array, isArray });
    if (Array.isArray(p.children) && p.children.length) flatten(p.children, p.field, path, isArray ? path : array, out);
  }
  return out;
}

const tokens = (s: string) =>
  s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9\u4e00-\u9fa5]+/).filter(Boolean);

function groupsOf(e: Entry): number[] {
  const g = new Set<number>([...(groupIndex.get(norm(e.key)) ?? []), ...(e.label ? groupIndex.get(norm(e.label)) ?? [] : [])]);
  return [...g];
}

const SCALAR_TIME = new Set(['datetime', 'date', 'ts', 'tsms']);

function compatible(t: Entry, s: Entry): boolean {
  if (t.isArray !== s.isArray) return false;
  if ((t.kind === 'object') !== (s.kind === 'object') && t.kind !== 'any' && s.kind !== 'any') return false;
  return true;
}

function typePenalty(t: Entry, s: Entry): number {
  if (t.kind === s.kind || t.kind === 'any' || s.kind === 'any') return 0;
  if (SCALAR_TIME.has(t.kind) && SCALAR_TIME.has(s.kind)) return 0;
  if (t.kind === 'string' || s.kind === 'string') return 0.02;
  return 0.08;
}

function score(t: Entry, s: Entry): { score: number; reason: string } | undefined {
  if (!compatible(t, s)) return undefined;
  let best: { score: number; reason: string } | undefined;
  const offer = (sc: number, reason: string) => {
    if (!best || sc > best.score) best = { score: sc, reason };
  };
  if (t.key === s.key) offer(0.95, 'same field name');
  else if (norm(t.key) === norm(s.key)) offer(0.9, 'same name ignoring case and separators');
  if (t.label && s.label && t.label === s.label && t.label !== t.key) offer(0.88, `same label '${t.label}'`);
  if (t.label && norm(t.label) === norm(s.key)) offer(0.85, `target label '${t.label}' names the source field`);
  if (s.label && norm(s.label) === norm(t.key)) offer(0.85, `source label '${s.label}' names the target field`);
  const tg = groupsOf(t);
  if (tg.length) {
    const sg = groupsOf(s);
    const shared = tg.find((g) => sg.includes(g));
    if (shared !== undefined) offer(0.8, `synonyms (${SYNONYMS[shared]!.slice(0, 3).join(' / ')} …)`);
  }
  if (t.label && s.label && t.label.length >= 2 && s.label.length >= 2 && (t.label.includes(s.label) || s.label.includes(t.label))) {
    offer(0.62, `similar labels '${t.label}' / '${s.label}'`);
  }
  const a = new Set(tokens(t.key)), b = new Set(tokens(s.key));
  if (a.size && b.size) {
    let inter = 0;
    for (const x of a) if (b.has(x)) inter++;
    const j = inter / (a.size + b.size - inter);
    if (j >= 0.5) offer(0.45 + 0.3 * j, 'similar field name');
  }
  if (!best) return undefined;
  const b2 = best as { score: number; reason: string };
  return { score: Math.round((b2.score - typePenalty(t, s)) * 100) / 100, reason: b2.reason };
}

/**
 * For each target field, the best source field (score ≥ 0.5). Line fields prefer the source line table matched to
 * their target line table. Results follow the target field order.
 */
export function suggestMappings(targetParams: MetaParam[], sourceParams: MetaParam[]): MappingSuggestion[] {
  const targets = flatten(normaliseParams(targetParams ?? []), undefined, '', '', []);
  const sources = flatten(normaliseParams(sourceParams ?? []), undefined, '', '', []);
  const arrayMatch = new Map<string, string>();
  const found = new Map<string, MappingSuggestion>();

  const best = (t: Entry, useArrays: boolean): MappingSuggestion | undefined => {
    let top: MappingSuggestion | undefined;
    for (const s of sources) {
      const r = score(t, s);
      if (!r) continue;
      let sc = r.score;
      if (useArrays) {
        // keep line fields inside the matching line table
        if (t.array) {
          const want = arrayMatch.get(t.array);
          if (s.array && want !== undefined) sc += s.array === want ? 0.03 : -0.15;
          else if (!s.array) sc -= 0.1;
        } else if (s.array) sc -= 0.2;
      }
      sc = Math.max(0, Math.min(1, Math.round(sc * 100) / 100));
      if (sc >= 0.5 && (!top || sc > top.score)) top = { target: t.path, source: s.path, score: sc, reason: r.reason };
    }
    return top;
  };

  // 1. line tables, outermost first: by name/label/synonym, else the table most of their fields come from
  for (const t of targets.filter((e) => e.isArray)) {
    let m = best(t, true);
    if (!m) {
      const votes = new Map<string, number>();
      const kids = targets.filter((c) => c.array === t.path && !c.isArray);
      for (const c of kids) {
        const b = best(c, false);
        const arr = b && sources.find((s) => s.path === b.source)?.array;
        if (arr) votes.set(arr, (votes.get(arr) ?? 0) + 1);
      }
      const [arr, n] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? [];
      if (arr && n && kids.length) {
        const sc = Math.round((0.5 + 0.4 * (n / kids.length)) * 100) / 100;
        m = { target: t.path, source: arr, score: sc, reason: `${n} of its ${kids.length} fields match fields of '${arr}'` };
      }
    }
    if (m) {
      found.set(t.path, m);
      arrayMatch.set(t.path, m.source);
    }
  }
  // 2. everything else, with line fields kept in their matched table
  for (const t of targets) {
    if (t.isArray) continue;
    const m = best(t, true);
    if (m) found.set(t.path, m);
  }
  return targets.map((t) => found.get(t.path)).filter((m): m is MappingSuggestion => m !== undefined);
}
