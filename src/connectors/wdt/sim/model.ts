/**
 * In-memory ERP state of one seller account (sid): master data, raw and system orders, stockouts, stock,
 * transfers, purchases, refunds, logistics sync rows. Maps keyed by the natural keys, so every request is
 * O(items) — the engine benchmark pushes thousands of orders a second through it.
 */
export interface Shop { shop_id: number; shop_no: string; shop_name: string; /** 127 自有, 0 其它/线下, others are platform shops */ platform_id: number }
export interface Warehouse { warehouse_id: number; warehouse_no: string; name: string }
export interface Provider { provider_no: string; provider_name: string }
export interface Spec {
  spec_id: number; spec_no: string; spec_name: string; barcode: string; goods_no: string;
  retail_price: number; weight: number; created: number; modified: number; data: Record<string, unknown>;
}
export interface Goods {
  goods_id: number; goods_no: string; goods_name: string; goods_type: number; class_name: string; brand_name: string;
  unit_name: string; created: number; modified: number; specNos: string[]; data: Record<string, unknown>;
}
export interface RawTrade {
  tid: string; shop_no: string; data: Record<string, unknown>; pushCount: number; created: number; modified: number;
  lines: Map<string, { num: number; price: number }>; trade_no?: string;
  /** Refund status per oid from sales_refund_push. */
  refundStatus: Map<string, number>;
}
export interface SysTrade {
  trade_id: number; trade_no: string; tid: string; shop_no: string; warehouse_no: string; status: number;
  created: number; modified: number; consign_time?: number; logistics_no?: string; stockout_no?: string;
}
export interface StockoutOrder {
  stockout_id: number; stockout_no: string; trade_no: string; tid: string; shop_no: string; warehouse_no: string;
  status: number; consign_time: number; logistics_no: string; created: number; modified: number;
}
export interface StockRow { rec_id: number; warehouse_no: string; spec_no: string; stock_num: number; created: number; modified: number }
export interface TransferSku { spec_no: string; num: number; out_num: number; in_num: number; from_position_no: string; to_position_no: string; remark: string }
export interface Transfer {
  transfer_id: number; transfer_no: string; outer_no: string; from_warehouse_no: string; to_warehouse_no: string;
  transfer_type: number; mode: number; status: number; remark: string; skus: TransferSku[];
  stockouts: string[]; stockins: string[]; created: number; modified: number;
}
export interface Purchase {
  purchase_id: number; purchase_no: string; outer_no: string; provider_no: string; warehouse_no: string; status: number;
  details: Array<{ spec_no: string; num: number; price: number }>; data: Record<string, unknown>; created: number; modified: number;
}
export interface Refund {
  refund_id: number; refund_no: string; tid: string; shop_no: string; type: number; status: number;
  data: Record<string, unknown>; pushCount: number; created: number; modified: number;
}
export interface LogisticsSync {
  rec_id: number; shop_no: string; tid: string; trade_id: number; platform_id: number; logistics_no: string;
  logistics_type: number; delivery_term: number; consign_time: number; oids: string;
  /** 0 待同步, 1 同步成功, 2 同步失败 */
  sync_status: number; message: string; created: number; modified: number;
}

export interface MasterData {
  shops: Array<Omit<Shop, 'shop_id'>>;
  warehouses: Array<Omit<Warehouse, 'warehouse_id'>>;
  providers: Provider[];
  goods: Array<{ goods_no: string; goods_name: string; specs: Array<{ spec_no: string; spec_name: string; barcode?: string; retail_price?: number }> }>;
  /** Initial stock: warehouse_no → spec_no → quantity. */
  stock: Record<string, Record<string, number>>;
}

/** Master data every sandbox account starts with (documented in docs/connectors/wdt.md). */
export const DEFAULT_MASTER_DATA: MasterData = {
  shops: [
    { shop_no: 'api_test', shop_name: 'API测试店铺(自有)', platform_id: 127 },
    { shop_no: 'offline_01', shop_name: '线下门店(其它)', platform_id: 0 },
    { shop_no: 'tmall_01', shop_name: '天猫旗舰店', platform_id: 1 },
  ],
  warehouses: [
    { warehouse_no: 'WH01', name: '主仓' },
    { warehouse_no: 'WH02', name: '华南分仓' },
  ],
  providers: [{ provider_no: 'P001', provider_name: '默认供应商' }],
  goods: [
    { goods_no: 'G001', goods_name: '纯棉T恤', specs: [{ spec_no: 'SKU001', spec_name: '白色 M', barcode: '6900000000011', retail_price: 99 }, { spec_no: 'SKU002', spec_name: '黑色 L', barcode: '6900000000028', retail_price: 99 }] },
    { goods_no: 'G002', goods_name: '保温杯', specs: [{ spec_no: 'SKU003', spec_name: '500ml', barcode: '6900000000035', retail_price: 129 }] },
  ],
  stock: { WH01: { SKU001: 100, SKU002: 50, SKU003: 20 }, WH02: { SKU001: 10 } },
};

/** Platforms trade_push / sales_refund_push accept: 127 自有, 0 其它. */
export const PUSHABLE_PLATFORMS = new Set([0, 127]);

export class Tenant {
  shops = new Map<string, Shop>();
  warehouses = new Map<string, Warehouse>();
  providers = new Map<string, Provider>();
  goods = new Map<string, Goods>();
  specs = new Map<string, Spec>();
  barcodes = new Map<string, string>();
  rawTrades = new Map<string, RawTrade>();
  oidOwner = new Map<string, string>();
  sysTrades = new Map<string, SysTrade>();
  sysByTid = new Map<string, string>();
  stockouts = new Map<string, StockoutOrder>();
  stock = new Map<string, StockRow>();
  transfers = new Map<string, Transfer>();
  transferByOuter = new Map<string, string>();
  transferStockoutByOuter = new Map<string, string>();
  transferStockinByOuter = new Map<string, string>();
  purchases = new Map<string, Purchase>();
  purchaseByOuter = new Map<string, string>();
  refunds = new Map<string, Refund>();
  logistics = new Map<number, LogisticsSync>();
  private seqs = new Map<string, number>();

  constructor(readonly sid: string, appkeys: string[], master: MasterData, now: number) {
    let id = 0;
    for (const s of master.shops) this.shops.set(s.shop_no, { ...s, shop_id: ++id });
    // 测试环境店铺编号同接口账号: the appkey is also a 自有 shop.
    for (const k of appkeys) if (!this.shops.has(k)) this.shops.set(k, { shop_no: k, shop_name: `接口账号店铺 ${k}`, platform_id: 127, shop_id: ++id });
    id = 0;
    for (const w of master.warehouses) this.warehouses.set(w.warehouse_no, { ...w, warehouse_id: ++id });
    for (const p of master.providers) this.providers.set(p.provider_no, { ...p });
    for (const g of master.goods) {
      this.upsertGoods({ goods_no: g.goods_no, goods_name: g.goods_name, spec_list: g.specs }, now);
    }
    for (const [wh, specs] of Object.entries(master.stock)) for (const [spec, n] of Object.entries(specs)) this.moveStock(wh, spec, n, now);
  }

  next(kind: string): number {
    const n = (this.seqs.get(kind) ?? 0) + 1;
    this.seqs.set(kind, n);
    return n;
  }

  defaultWarehouse(): string {
    return this.warehouses.keys().next().value ?? 'WH01';
  }

  /** Add (negative: remove) stock; the ERP's negative-stock check is off in the sandbox. */
  moveStock(warehouse_no: string, spec_no: string, delta: number, now: number): StockRow {
    const key = `${warehouse_no}\u0000${spec_no}`;
    let row = this.stock.get(key);
    if (!row) this.stock.set(key, (row = { rec_id: this.next('stock'), warehouse_no, spec_no, stock_num: 0, created: now, modified: now }));
    row.stock_num = Math.round((row.stock_num + delta) * 10000) / 10000;
    row.modified = now;
    return row;
  }

  stockOf(warehouse_no: string, spec_no: string): number {
    return this.stock.get(`${warehouse_no}\u0000${spec_no}`)?.stock_num ?? 0;
  }

  /** goods_push semantics: upsert goods by goods_no and its specs by spec_no. Returns true when new. */
  upsertGoods(g: Record<string, unknown>, now: number): boolean {
    const goods_no = String(g.goods_no);
    let goods = this.goods.get(goods_no);
    const isNew = !goods;
    if (!goods) {
      goods = {
        goods_id: this.next('goods'), goods_no, goods_name: '', goods_type: 1, class_name: '', brand_name: '', unit_name: '',
        created: now, modified: now, specNos: [], data: {},
      };
      this.goods.set(goods_no, goods);
    }
    goods.goods_name = String(g.goods_name ?? goods.goods_name);
    if (g.goods_type !== undefined && g.goods_type !== '') goods.goods_type = Number(g.goods_type);
    for (const k of ['class_name', 'brand_name', 'unit_name'] as const) if (g[k] !== undefined) goods[k] = String(g[k]);
    const { spec_list, ...rest } = g;
    goods.data = rest;
    goods.modified = now;
    for (const s of (spec_list as Array<Record<string, unknown>>) ?? []) {
      const spec_no = String(s.spec_no);
      let spec = this.specs.get(spec_no);
      if (!spec) {
        spec = { spec_id: this.next('spec'), spec_no, spec_name: '', barcode: '', goods_no, retail_price: 0, weight: 0, created: now, modified: now, data: {} };
        this.specs.set(spec_no, spec);
        goods.specNos.push(spec_no);
      }
      if (s.spec_name !== undefined) spec.spec_name = String(s.spec_name);
      if (s.barcode !== undefined && s.barcode !== '') {
        if (spec.barcode) this.barcodes.delete(spec.barcode);
        spec.barcode = String(s.barcode);
        this.barcodes.set(spec.barcode, spec_no);
      }
      if (s.retail_price !== undefined && s.retail_price !== '') spec.retail_price = Number(s.retail_price);
      if (s.weight !== undefined && s.weight !== '') spec.weight = Number(s.weight);
      spec.data = s;
      spec.modified = now;
    }
    return isNew;
  }
}
