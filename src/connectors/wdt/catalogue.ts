/**
 * 标准API库 of 旺店通·企业版 (openapi2). One entry per API with full field metadata. The simulator validates
 * requests against these same entries, so the catalogue, the docs and the sandbox cannot drift apart.
 *
 * Extra keys on a param (beyond MetaParam): `wdtType` (the type as WDT documents it: varchar(40), tinyint,
 * decimal(19,4), datetime …), `maxLength` (code points), `enum` (allowed values → meaning), `min`/`max`.
 */
import type { ApiSpec } from '../types.ts';
import type { MetaParam } from '../../metadata/types.ts';

export interface WdtParam extends MetaParam {
  wdtType?: string;
  maxLength?: number;
  enum?: Record<string, string>;
  min?: number;
  max?: number;
  default?: string | number;
  children?: WdtParam[];
}

export interface WdtApiSpec extends ApiSpec {
  request: WdtParam[];
  otherRequest?: WdtParam[];
  response?: WdtParam[];
  /** Key identifying an item in per-item error lists (errors[].rec_id / errors[].tid). */
  itemKey?: string;
  /** For queries: at least one of these params must be given when the time window is absent. */
  keyParams?: string[];
}

interface Opts {
  req?: boolean;
  enum?: Record<string, string>;
  describe?: string;
  children?: WdtParam[];
  min?: number;
  max?: number;
  default?: string | number;
}

/** Build one param: type, length and enum meanings go into both machine keys and the Chinese describe. */
function p(field: string, label: string, wdtType: string, o: Opts = {}): WdtParam {
  const out: WdtParam = { field, label, type: 'string', wdtType, is_required: o.req ?? false };
  const m = /^varchar\((\d+)\)$/.exec(wdtType);
  if (m) out.maxLength = Number(m[1]);
  else if (/^(tinyint|smallint|int|bigint)$/.test(wdtType)) out.type = 'int';
  else if (wdtType.startsWith('decimal')) out.type = 'float';
  else if (wdtType === 'datetime') out.type = 'datetime';
  else if (wdtType === 'date') out.type = 'date';
  else if (wdtType === 'list') out.type = 'array';
  else if (wdtType === 'object') out.type = 'object';
  if (o.enum) out.enum = o.enum;
  if (o.min !== undefined) out.min = o.min;
  if (o.max !== undefined) out.max = o.max;
  if (o.default !== undefined) out.default = o.default;
  if (o.children) out.children = o.children;
  const bits = [wdtType + (out.is_required ? ', 必填' : '')];
  if (o.describe) bits.push(o.describe);
  if (o.enum) bits.push('取值: ' + Object.entries(o.enum).map(([k, v]) => `${k} ${v}`).join(', '));
  if (o.default !== undefined) bits.push(`默认 ${o.default}`);
  out.describe = bits.join('; ');
  return out;
}

const str = (field: string, label: string, len: number, o: Opts = {}) => p(field, label, `varchar(${len})`, o);
const dec = (field: string, label: string, o: Opts = {}) => p(field, label, 'decimal(19,4)', o);
const dt = (field: string, label: string, o: Opts = {}) =>
  p(field, label, 'datetime', { ...o, describe: ['格式 yyyy-MM-dd HH:mm:ss (北京时间)', o.describe].filter(Boolean).join('; ') });
const YESNO = { 0: '否', 1: '是' };

// ---------------------------------------------------------------- enums

export const TRADE_STATUS = {
  10: '待支付', 20: '待尾款', 30: '已支付待发货(含货到付款)', 40: '部分发货', 50: '已发货',
  70: '已完成(已签收)', 80: '已退款(付款后全部退款)', 90: '已关闭(付款前取消)',
};
export const PAY_STATUS = { 0: '未付款', 1: '部分付款', 2: '已付款' };
export const DELIVERY_TERM = { 1: '款到发货', 2: '货到付款(包含部分货到付款)', 3: '分期付款', 4: '挂账' };
export const ORDER_REFUND_STATUS = { 0: '无退款', 1: '取消退款', 2: '已申请退款', 3: '等待退货', 4: '等待收货', 5: '退款成功' };
export const INVOICE_KIND = { 0: '不需要', 1: '普通发票', 2: '增值税普通发票电子', 3: '增值税普通发票纸质', 4: '增值税专用发票' };
export const FLAG_COLOR = { 0: '灰(无标旗)', 1: '红', 2: '黄', 3: '绿', 4: '蓝', 5: '紫' };
export const FENXIAO_TYPE = { 0: '非分销订单', 1: '代销', 2: '经销' };
/** 系统订单状态 (trade_query status). */
export const SYS_TRADE_STATUS = {
  5: '已取消', 10: '待付款', 12: '待尾款', 13: '待选仓', 15: '等未付', 16: '延时审核', 19: '预订单前处理', 20: '前处理',
  21: '委外前处理', 22: '抢单前处理', 25: '预订单', 27: '待抢单', 30: '待客审', 35: '待财审', 40: '待递交仓库',
  45: '递交仓库中', 50: '已递交仓库', 53: '未确认', 55: '已审核', 95: '已发货', 100: '已签收', 105: '部分打款',
  110: '已完成', 113: '异常发货',
};
/** 销售出库单状态 (stockout_order_query_trade status). */
export const STOCKOUT_STATUS = { 5: '已取消', 55: '已审核', 95: '已发货', 105: '部分打款', 110: '已完成', 113: '异常发货' };
/** 调拨单状态 (simulator's reading of the ERP states). */
export const TRANSFER_STATUS = {
  10: '已取消', 20: '编辑中', 40: '已审核', 50: '部分出库', 60: '全部出库', 70: '部分入库', 90: '调拨完成',
};
export const REFUND_TYPE = { 1: '退款(未发货,退款申请)', 2: '退货', 3: '换货', 4: '退款不退货' };
export const REFUND_STATUS = { 1: '取消退款', 2: '已申请退款', 3: '等待退货', 4: '等待收货', 5: '退款成功' };
export const GOODS_TYPE = { 0: '其它', 1: '销售商品', 2: '原材料', 3: '包装', 4: '周转材料', 5: '虚拟商品', 6: '固定资产' };

// ---------------------------------------------------------------- shared pieces

const pageParams = (max: number, def: number): WdtParam[] => [
  p('page_no', '页号', 'int', { describe: '从 0 开始', min: 0, default: 0 }),
  p('page_size', '分页大小', 'int', { describe: `1–${max}`, min: 1, max, default: def }),
];
const window = (what: string, limit: string): WdtParam[] => [
  dt('start_time', '开始时间', { describe: `按${what}查询, 与 end_time 的跨度不超过 ${limit}` }),
  dt('end_time', '结束时间', { describe: `闭区间, 跨度不超过 ${limit}` }),
];
const props = (): WdtParam[] => [1, 2, 3, 4, 5, 6].map((i) => str(`prop${i}`, `自定义属性${i}`, 255));

// ---------------------------------------------------------------- trade_push

const tradeOrder: WdtParam[] = [
  str('oid', '子订单编号', 40, { req: true, describe: '同一卖家账号下唯一' }),
  dec('num', '数量', { req: true, describe: '首次推送后不可修改' }),
  dec('price', '单价', { req: true, describe: '首次推送后不可修改' }),
  p('status', '状态', 'tinyint', { req: true, enum: TRADE_STATUS, describe: '子订单平台状态' }),
  p('refund_status', '退款状态', 'tinyint', { req: true, enum: ORDER_REFUND_STATUS }),
  str('goods_id', '平台货品ID', 40, { req: true, describe: '不能为空' }),
  str('spec_id', '平台规格ID', 40),
  str('goods_no', '货品编码', 40, { describe: 'goods_no 与 spec_no 不能同时为空' }),
  str('spec_no', '规格编码', 40, { describe: '对应 ERP 商家编码; goods_no 与 spec_no 不能同时为空' }),
  str('goods_name', '货品名称', 255, { req: true }),
  str('spec_name', '规格名称', 100),
  dec('adjust_amount', '调整', { req: true, describe: '正数为加价, 负数为减价' }),
  dec('discount', '优惠', { req: true }),
  dec('share_discount', '分摊优惠', { req: true }),
  str('cid', '类目', 40, { describe: '平台货品所属类目' }),
  str('remark', '备注', 255, { describe: '货品明细备注 (ERP 客户端需 V2.3.9.2 及以上)' }),
];

const tradeFields: WdtParam[] = [
  str('tid', '原始单号', 40, { req: true, describe: '同一卖家账号下唯一; 重复推送同一 tid 视为更新' }),
  p('trade_status', '平台状态', 'tinyint', { req: true, enum: TRADE_STATUS }),
  p('pay_status', '支付状态', 'tinyint', { enum: PAY_STATUS }),
  p('delivery_term', '发货条件', 'tinyint', { req: true, enum: DELIVERY_TERM }),
  dt('trade_time', '下单时间'),
  dt('pay_time', '支付时间', { req: true, describe: '未付款传 0000-00-00 00:00:00' }),
  p('fenxiao_type', '分销类别', 'tinyint', { enum: FENXIAO_TYPE }),
  str('purchase_id', '采购单ID', 40, { describe: '转供销情况下, 采购单ID' }),
  str('fenxiao_nick', '分销商id', 100, { describe: '分销订单的分销商id, 或转供销时供应商id' }),
  str('buyer_nick', '客户网名', 100, { req: true, describe: '不同客户必须用不同的名字' }),
  str('buyer_email', '买家email', 60),
  str('pay_id', '支付单号', 40),
  str('pay_account', '支付账号', 100),
  str('receiver_name', '收件人', 40, { req: true }),
  str('receiver_province', '省份', 40, { req: true, describe: '中文名称, 匹配 ERP 地址库; 为空时从以空格分隔的 receiver_address 解析' }),
  str('receiver_city', '城市', 40, { req: true, describe: '为空时从 receiver_address 解析' }),
  str('receiver_district', '区县', 40, { req: true, describe: '为空时从 receiver_address 解析' }),
  str('receiver_address', '地址详情', 256, { req: true }),
  str('receiver_mobile', '手机', 40, { req: true }),
  str('receiver_telno', '电话', 40),
  str('receiver_zip', '邮编', 20),
  p('logistics_type', '物流方式', 'int', { describe: '-1 不指定(任意物流); 其它取值见 ERP 物流方式' }),
  p('invoice_kind', '发票类别', 'tinyint', { enum: INVOICE_KIND, default: 0 }),
  str('invoice_title', '发票抬头', 255),
  str('invoice_content', '发票内容', 255, { describe: '常见内容: 纳税人识别号、地址、电话、开户银行、银行账户' }),
  p('remark_flag', '客户备注标旗', 'tinyint', { enum: FLAG_COLOR, default: 0 }),
  str('buyer_message', '买家备注', 1024, { describe: '买家下单时填写的订单备注' }),
  str('seller_memo', '客服备注', 1024, { describe: '商家客服对订单进行的备注内容' }),
  p('seller_flag', '标旗', 'tinyint', { enum: FLAG_COLOR, default: 0 }),
  dec('post_amount', '邮费', { req: true }),
  dec('cod_amount', '货到付款金额', { req: true }),
  dec('ext_cod_fee', '货到付款买家费用', { req: true }),
  dec('other_amount', '其它收费', { req: true }),
  dec('paid', '已付', { req: true, describe: '自动分摊到子订单' }),
  str('warehouse_no', '仓库编号', 40, { describe: 'ERP 内自定义的仓库编号; 指定后 ERP 为订单选择该仓库' }),
  p('is_auto_wms', '自动流转模式', 'tinyint', { enum: YESNO, default: 0, describe: '非自动流转模式一定不要传值' }),
  p('order_list', '订单货品明细节点', 'list', { req: true, children: tradeOrder, describe: '每单建议不超过 200 行' }),
];

const tradePush: WdtApiSpec = {
  name: 'trade_push',
  label: '创建原始订单',
  direction: 'write',
  describe: '推送销售订单给 ERP, 或更新已推送的订单 (同一 tid 再次推送 = 更新, 计入 chg_count)。仅支持自有/其它平台店铺。',
  request: tradeFields,
  otherRequest: [
    str('shop_no', '店铺编号', 20, { req: true, describe: '店铺必须为自有/其它平台; 测试环境店铺编号同接口账号' }),
    p('switch', '严格模式', 'tinyint', { enum: { 0: '非严格模式', 1: '严格模式' }, default: 1 }),
  ],
  response: [
    p('new_count', '新增订单数', 'int'),
    p('chg_count', '更新订单数', 'int'),
  ],
  batch: { param: 'trade_list', max: 50 },
  itemKey: 'tid',
  limits: { perCall: 50, linesPerTrade: 200, sameBuyerNickPerCall: 30, cadence: '每 5–10 分钟推送一次' },
};

// ---------------------------------------------------------------- stock / transfer writes

const transferSku: WdtParam[] = [
  str('spec_no', '商家编码', 40, { req: true }),
  dec('num', '调拨数量', { req: true }),
  str('from_position_no', '调出货位', 40),
  str('to_position_no', '调入货位', 40),
  str('remark', '备注', 255),
];

const stockTransferPush: WdtApiSpec = {
  name: 'stock_transfer_push',
  label: '创建调拨单',
  direction: 'write',
  describe: '创建调拨单; outer_no 为去重键 (同一 outer_no 再次推送返回已有调拨单号)',
  request: [
    str('outer_no', '外部单号', 40, { req: true, describe: '去重键' }),
    str('from_warehouse_no', '调出仓库编号', 40, { req: true }),
    str('to_warehouse_no', '调入仓库编号', 40, { req: true }),
    str('address', '地址', 256),
    str('contact', '联系人', 40),
    str('telno', '联系电话', 40),
    str('remark', '备注', 255),
    p('transfer_type', '调拨类型', 'tinyint', { enum: { 0: '分步调拨', 1: '快速调拨' }, default: 1 }),
    p('mode', '调拨方式', 'tinyint', { enum: { 0: '单品调拨', 1: '货位调拨' }, default: 0 }),
    p('autocheck', '自动审核', 'tinyint', { enum: YESNO, default: 0 }),
    p('skus', '调拨货品列表', 'list', { req: true, children: transferSku, describe: '建议不超过 500 行' }),
  ],
  response: [str('transfer_no', '调拨单号', 40)],
  batch: { param: 'transfer_info', max: 1, single: true },
  limits: { skusPerCall: 500 },
};

const stockoutTransferPush: WdtApiSpec = {
  name: 'stockout_transfer_push',
  label: '创建调拨出库单',
  direction: 'write',
  describe: '对分步调拨单出库; 调拨单须为 40 已审核 或 50 部分出库。不传 goods_list 则出库全部未出数量。',
  request: [
    str('src_order_no', '调拨单号', 40, { req: true }),
    str('outer_no', '外部单号', 40, { describe: '去重键' }),
    str('warehouse_no', '调出仓库编号', 40, { describe: '须与调拨单调出仓库一致' }),
    p('is_check', '是否审核', 'tinyint', { enum: YESNO, default: 1 }),
    str('logistics_code', '物流编码', 40),
    str('logistics_no', '物流单号', 40),
    dec('post_cost', '邮费'),
    str('remark', '备注', 255),
    str('flag_name', '标记名称', 40),
    p('goods_list', '出库货品列表', 'list', {
      children: [str('spec_no', '商家编码', 40, { req: true }), dec('num', '出库数量', { req: true }), str('remark', '备注', 255)],
    }),
  ],
  response: [str('stockout_no', '出库单号', 40)],
  batch: { param: 'stockout_info', max: 1, single: true },
};

const stockinTransferPush: WdtApiSpec = {
  name: 'stockin_transfer_push',
  label: '创建调拨入库单',
  direction: 'write',
  describe: '调拨单发货仓出库后, 在调入仓入库; outer_no 为去重键。',
  request: [
    str('outer_no', '外部单号', 40, { req: true, describe: '去重键' }),
    p('src_order_type', '源单类型', 'tinyint', { req: true, enum: { 2: '调拨单' } }),
    str('src_order_no', '源单号(调拨单号)', 40, { req: true }),
    str('warehouse_no', '入库仓库编号', 40, { req: true, describe: '须为调拨单的调入仓库' }),
    p('is_created_batch', '是否新建批次', 'tinyint', { enum: YESNO, default: 0 }),
    str('remark', '备注', 255),
    p('goods_list', '入库货品列表', 'list', {
      req: true,
      children: [
        str('spec_no', '商家编码', 40, { req: true }),
        dec('num', '入库数量', { req: true, describe: '不超过已出库未入库数量' }),
        str('batch_no', '批次', 40),
        dt('expire_date', '有效期'),
        str('position_no', '货位', 40),
        str('remark', '备注', 255),
      ],
    }),
  ],
  response: [str('stockin_no', '入库单号', 40)],
  batch: { param: 'stockin_info', max: 1, single: true },
};

const purchaseOrderPush: WdtApiSpec = {
  name: 'purchase_order_push',
  label: '创建采购单',
  direction: 'write',
  describe: '每次调用推送一张采购单 (逐个推送); 供应商必须已存在; outer_no 唯一 (重复推送返回已有采购单号)。',
  request: [
    str('provider_no', '供应商编号', 20, { req: true, describe: '必须在 ERP 中存在' }),
    str('warehouse_no', '仓库编号', 40, { req: true }),
    str('outer_no', '外部单号', 40, { req: true, describe: '唯一' }),
    p('is_use_outer_no', '是否使用外部单号作为采购单号', 'tinyint', { enum: YESNO, default: 0 }),
    p('is_check', '是否审核', 'tinyint', { enum: YESNO, default: 0 }),
    str('contact', '联系人', 40),
    str('telno', '联系电话', 40),
    str('purchase_name', '采购员', 40),
    str('receive_address', '收货地址', 256),
    p('logistics_type', '物流方式', 'int'),
    dt('expect_arrive_time', '预计到货时间'),
    str('remark', '备注', 255),
    p('details_list', '采购明细', 'list', {
      req: true,
      children: [
        str('spec_no', '商家编码', 40, { req: true }),
        dec('num', '采购数量', { req: true }),
        dec('price', '采购价', { req: true }),
        dec('discount', '折扣', { describe: '0–1, 默认 1' }),
        dec('tax', '税率'),
        dec('tax_price', '税后单价'),
        str('remark', '备注', 255),
      ],
    }),
  ],
  response: [str('purchase_no', '采购单号', 40)],
  batch: { param: 'purchase_info', max: 1, single: true },
};

const salesRefundPush: WdtApiSpec = {
  name: 'sales_refund_push',
  label: '创建原始退款单',
  direction: 'write',
  describe: '推送平台退款/退货; tid 必须已推送到 ERP; 仅支持自有/其它平台店铺; 同一 refund_no 再次推送 = 更新。',
  request: [
    p('platform_id', '平台ID', 'int', { req: true, enum: { 127: '自有平台' } }),
    str('shop_no', '店铺编号', 20, { req: true }),
    str('tid', '原始单号', 40, { req: true, describe: '必须已存在于 ERP' }),
    str('refund_no', '退款单号', 40, { req: true, describe: '唯一; 重复推送为更新' }),
    p('type', '退款类型', 'tinyint', { req: true, enum: REFUND_TYPE }),
    p('status', '退款状态', 'tinyint', { req: true, enum: REFUND_STATUS }),
    dec('refund_fee', '退款金额'),
    str('alipay_no', '支付单号', 40),
    str('buyer_nick', '客户网名', 100),
    dt('refund_time', '退款时间'),
    str('reason', '退款原因', 255),
    str('desc', '退款说明', 255),
    str('logistics_no', '退回物流单号', 40),
    str('logistics_name', '退回物流公司', 40),
    p('order_list', '退款货品', 'list', {
      req: true,
      children: [str('oid', '子订单编号', 40, { req: true, describe: '必须属于 tid' }), dec('num', '退款数量', { req: true })],
    }),
  ],
  response: [p('new_count', '新增数', 'int'), p('chg_count', '更新数', 'int')],
  batch: { param: 'api_refund_list', max: 10 },
  itemKey: 'refund_no',
};

const goodsPush: WdtApiSpec = {
  name: 'goods_push',
  label: '创建货品档案',
  direction: 'write',
  describe: '创建或更新货品与规格 (按 goods_no / spec_no 更新)。',
  request: [
    str('goods_no', '货品编号', 40, { req: true }),
    p('goods_type', '货品类别', 'tinyint', { enum: GOODS_TYPE, default: 1 }),
    str('goods_name', '货品名称', 255, { req: true }),
    str('short_name', '简称', 255),
    str('alias', '别名', 255),
    str('class_name', '分类', 40),
    str('brand_name', '品牌', 40),
    str('unit_name', '基本单位', 20),
    str('origin', '产地', 40),
    str('flag_name', '标记', 40),
    str('remark', '备注', 255),
    ...props(),
    p('spec_list', '规格列表', 'list', {
      req: true,
      children: [
        str('spec_no', '商家编码', 40, { req: true, describe: '全局唯一' }),
        str('spec_name', '规格名称', 100),
        str('spec_code', '规格码', 40),
        str('barcode', '条码', 50),
        dec('retail_price', '零售价'),
        dec('wholesale_price', '批发价'),
        dec('member_price', '会员价'),
        dec('market_price', '市场价'),
        dec('lowest_price', '最低价'),
        dec('weight', '重量'),
        str('img_url', '图片', 1024),
        str('remark', '备注', 255),
        ...props(),
      ],
    }),
  ],
  response: [],
  batch: { param: 'goods_list', max: 100 },
  itemKey: 'goods_no',
};

const logisticsSyncAck: WdtApiSpec = {
  name: 'logistics_sync_ack',
  label: '物流同步状态回传',
  direction: 'write',
  describe: '回传 logistics_sync_query 取到的记录的同步结果; 单条失败在 errors 中返回 (code 仍为 0)。',
  request: [
    p('rec_id', '回传记录ID', 'bigint', { req: true, describe: 'logistics_sync_query 返回的 rec_id' }),
    p('status', '同步状态', 'tinyint', { req: true, enum: { 0: '成功', 1: '失败' } }),
    str('message', '相关描述', 255),
  ],
  response: [
    p('errors', '失败记录', 'list', { children: [p('rec_id', '回传记录ID', 'bigint'), str('error', '错误信息', 255)] }),
  ],
  batch: { param: 'logistics_list', max: 50 },
  itemKey: 'rec_id',
};

// ---------------------------------------------------------------- queries

const goodsLine = (): WdtParam[] => [
  str('src_oid', '原始子订单号', 40), str('src_tid', '原始单号', 40), str('goods_no', '货品编号', 40), str('goods_name', '货品名称', 255),
  str('spec_no', '商家编码', 40), str('spec_name', '规格名称', 100), dec('num', '数量'), dec('price', '单价'), dec('order_price', '成交价'),
  dec('share_amount', '分摊后金额'), p('refund_status', '退款状态', 'tinyint', { enum: ORDER_REFUND_STATUS }), str('remark', '备注', 255),
];

const tradeQuery: WdtApiSpec = {
  name: 'trade_query',
  label: '查询订单管理',
  direction: 'query',
  describe: '按最后修改时间查询系统订单; 时间跨度不超过 60 分钟; 不含淘系/供销订单。',
  request: [
    ...window('最后修改时间', '60 分钟'),
    p('status', '订单状态', 'tinyint', { enum: SYS_TRADE_STATUS }),
    str('src_tid', '原始单号', 40),
    str('trade_no', '订单编号', 40),
    str('shop_no', '店铺编号', 20),
    str('warehouse_no', '仓库编号', 40),
    p('goodstax', '是否返回税率', 'tinyint', { enum: YESNO }),
    p('has_logistics_no', '是否只返回有物流单号的', 'tinyint', { enum: YESNO }),
    str('logistics_no', '物流单号', 40),
    p('img_url', '是否返回图片', 'tinyint', { enum: YESNO }),
    ...pageParams(100, 40),
  ],
  response: [
    p('trades', '订单列表', 'list', {
      children: [
        p('trade_id', '订单ID', 'int'), str('trade_no', '订单编号', 40), p('platform_id', '平台ID', 'int'), str('shop_no', '店铺编号', 20),
        str('shop_name', '店铺名称', 64), str('warehouse_no', '仓库编号', 40), str('src_tids', '原始单号', 255),
        p('trade_status', '订单状态', 'tinyint', { enum: SYS_TRADE_STATUS }), p('delivery_term', '发货条件', 'tinyint', { enum: DELIVERY_TERM }),
        dt('trade_time', '下单时间'), dt('pay_time', '付款时间'), dt('consign_time', '发货时间'), str('buyer_nick', '客户网名', 100),
        str('receiver_name', '收件人', 40), str('receiver_province', '省份', 40), str('receiver_city', '城市', 40),
        str('receiver_district', '区县', 40), str('receiver_address', '地址', 256), str('receiver_mobile', '手机', 40),
        str('logistics_no', '物流单号', 40), str('buyer_message', '买家备注', 1024), str('cs_remark', '客服备注', 1024),
        dec('goods_count', '货品总数'), p('goods_type_count', '货品种类数', 'int'), dec('goods_amount', '货品总额'),
        dec('post_amount', '邮费'), dec('paid', '已付'), dec('receivable', '应收'), str('stockout_no', '出库单号', 40),
        dt('modified', '最后修改时间'), dt('created', '创建时间'),
        p('goods_list', '货品列表', 'list', { children: goodsLine() }),
      ],
    }),
    p('total_count', '总条数', 'int', { describe: 'page_no=0 时有意义' }),
  ],
  query: { listKey: 'trades', maxWindowMinutes: 60, pageSize: { min: 1, max: 100, default: 40 }, firstPage: 0 },
  keyParams: ['src_tid', 'trade_no', 'logistics_no'],
};

const stockoutOrderQueryTrade: WdtApiSpec = {
  name: 'stockout_order_query_trade',
  label: '查询销售出库单',
  direction: 'query',
  describe:
    '时间跨度不超过 30 天 (闭区间)。不传 status: 按发货时间查已发货/已完成; status>=95: 按发货时间; status<95: 按最后修改时间; is_by_modified=1 始终按最后修改时间。',
  request: [
    ...window('发货时间或最后修改时间', '30 天'),
    p('status', '出库单状态', 'tinyint', { enum: STOCKOUT_STATUS }),
    str('src_order_no', '系统订单编号', 40),
    str('src_tid', '原始单号', 40),
    str('stockout_no', '出库单号', 40),
    str('shop_no', '店铺编号', 20),
    str('warehouse_no', '仓库编号', 40, { describe: '只能传一个' }),
    p('is_by_modified', '按最后修改时间', 'tinyint', { enum: YESNO }),
    ...pageParams(100, 40),
  ],
  response: [
    p('stockout_list', '出库单列表', 'list', {
      children: [
        p('stockout_id', '出库单ID', 'int'), str('order_no', '出库单号', 40), str('src_order_no', '系统订单编号', 40),
        str('src_tids', '原始单号', 255), p('status', '状态', 'tinyint', { enum: STOCKOUT_STATUS }), str('shop_no', '店铺编号', 20),
        str('warehouse_no', '仓库编号', 40), dt('consign_time', '发货时间'), str('logistics_no', '物流单号', 40),
        str('logistics_name', '物流公司', 40), str('buyer_nick', '客户网名', 100), str('receiver_name', '收件人', 40),
        str('receiver_address', '地址', 256), str('receiver_mobile', '手机', 40), dec('goods_count', '货品数量'),
        dec('goods_total_amount', '货品总额'), dec('post_amount', '邮费'), dec('paid', '已付'),
        dt('modified', '最后修改时间'), dt('created', '创建时间'),
        p('details_list', '出库明细', 'list', {
          children: [
            str('src_oid', '原始子订单号', 40), str('src_tid', '原始单号', 40), str('goods_no', '货品编号', 40), str('goods_name', '货品名称', 255),
            str('spec_no', '商家编码', 40), str('spec_name', '规格名称', 100), dec('goods_count', '数量'), dec('sell_price', '成交价'),
            dec('total_amount', '金额'),
          ],
        }),
      ],
    }),
    p('total_count', '总条数', 'int'),
  ],
  query: { listKey: 'stockout_list', maxWindowMinutes: 30 * 24 * 60, pageSize: { min: 1, max: 100, default: 40 }, firstPage: 0 },
  keyParams: ['src_order_no', 'src_tid', 'stockout_no'],
};

const stockRow = (): WdtParam[] => [
  p('rec_id', '记录ID', 'int'), str('spec_no', '商家编码', 40), str('spec_name', '规格名称', 100), str('goods_no', '货品编号', 40),
  str('goods_name', '货品名称', 255), str('barcode', '条码', 50), str('warehouse_no', '仓库编号', 40), str('warehouse_name', '仓库名称', 64),
  dec('stock_num', '库存量'), dec('lock_num', '锁定量'), dec('order_num', '待审核量'), dec('sending_num', '待发货量'),
  dec('purchase_num', '采购在途量'), dec('transfer_num', '调拨在途量'), dec('avaliable_num', '可发库存'),
  dt('modified', '最后修改时间'), dt('created', '创建时间'),
];

const stockQuery: WdtApiSpec = {
  name: 'stock_query',
  label: '查询库存(增量)',
  direction: 'query',
  describe: '按库存最后修改时间增量查询; 时间跨度不超过 30 天; 全量核对请按 spec_no 查询 (每天不超过 3 次)。',
  request: [
    ...window('库存最后修改时间', '30 天'),
    str('warehouse_no', '仓库编号', 40),
    str('spec_no', '商家编码', 40),
    str('barcode', '条码', 50),
    p('is_deleted', '是否返回已删除', 'tinyint', { enum: YESNO }),
    ...pageParams(100, 40),
  ],
  response: [p('stocks', '库存列表', 'list', { children: stockRow() }), p('total_count', '总条数', 'int')],
  query: { listKey: 'stocks', maxWindowMinutes: 30 * 24 * 60, pageSize: { min: 1, max: 100, default: 40 }, firstPage: 0 },
  keyParams: ['spec_no', 'barcode'],
};

const stockQueryAll: WdtApiSpec = {
  name: 'stock_query_all',
  label: '查询库存(全量)',
  direction: 'query',
  describe: '全量库存; 只允许在北京时间 00:00–02:00 调用, 其余时间报错。',
  request: [str('warehouse_no', '仓库编号', 40), str('spec_no', '商家编码', 40), ...pageParams(100, 40)],
  response: [p('stocks', '库存列表', 'list', { children: stockRow() }), p('total_count', '总条数', 'int')],
  query: { listKey: 'stocks', pageSize: { min: 1, max: 100, default: 40 }, firstPage: 0 },
  limits: { callableHoursBeijing: '00:00-02:00' },
};

const goodsQuery: WdtApiSpec = {
  name: 'goods_query',
  label: '查询货品档案',
  direction: 'query',
  describe: '按最后修改时间 (跨度不超过 30 天) 或 goods_no/spec_no 查询货品及规格。',
  request: [
    ...window('最后修改时间', '30 天'),
    str('goods_no', '货品编号', 40),
    str('spec_no', '商家编码', 40),
    str('barcode', '条码', 50),
    p('deleted', '是否返回已删除', 'tinyint', { enum: YESNO }),
    ...pageParams(40, 40),
  ],
  response: [
    p('goods_list', '货品列表', 'list', {
      children: [
        p('goods_id', '货品ID', 'int'), str('goods_no', '货品编号', 40), str('goods_name', '货品名称', 255),
        p('goods_type', '货品类别', 'tinyint', { enum: GOODS_TYPE }), str('class_name', '分类', 40), str('brand_name', '品牌', 40),
        str('unit_name', '单位', 20), dt('modified', '最后修改时间'), dt('created', '创建时间'),
        p('spec_list', '规格列表', 'list', {
          children: [
            p('spec_id', '规格ID', 'int'), str('spec_no', '商家编码', 40), str('spec_name', '规格名称', 100), str('barcode', '条码', 50),
            dec('retail_price', '零售价'), dec('weight', '重量'), dt('modified', '最后修改时间'),
          ],
        }),
      ],
    }),
    p('total_count', '总条数', 'int'),
  ],
  query: { listKey: 'goods_list', maxWindowMinutes: 30 * 24 * 60, pageSize: { min: 1, max: 40, default: 40 }, firstPage: 0 },
  keyParams: ['goods_no', 'spec_no', 'barcode'],
};

const stockTransferQuery: WdtApiSpec = {
  name: 'stock_transfer_query',
  label: '查询调拨单',
  direction: 'query',
  describe: '按最后修改时间 (跨度不超过 30 天) 或单号查询调拨单。',
  request: [
    ...window('最后修改时间', '30 天'),
    str('from_warehouse_no', '调出仓库编号', 40),
    str('to_warehouse_no', '调入仓库编号', 40),
    str('transfer_no', '调拨单号', 40),
    str('api_outer_no', '外部单号', 40),
    p('status', '调拨单状态', 'tinyint', { enum: TRANSFER_STATUS }),
    ...pageParams(100, 40),
  ],
  response: [
    p('transfer_list', '调拨单列表', 'list', {
      children: [
        str('transfer_no', '调拨单号', 40), p('type', '调拨类型', 'tinyint'), p('mode', '调拨方式', 'tinyint'),
        str('from_warehouse_no', '调出仓库编号', 40), str('to_warehouse_no', '调入仓库编号', 40),
        p('status', '状态', 'tinyint', { enum: TRANSFER_STATUS }), str('outer_no', '外部单号', 40), dec('goods_count', '货品总数'),
        p('goods_type_count', '货品种类数', 'int'), dec('goods_out_count', '出库总数'), dec('goods_in_count', '入库总数'),
        str('remark', '备注', 255), dt('modified', '最后修改时间'), dt('created', '创建时间'),
        p('details_list', '明细', 'list', {
          children: [
            str('goods_no', '货品编号', 40), str('spec_no', '商家编码', 40), str('from_position', '调出货位', 40), str('to_position', '调入货位', 40),
            dec('num', '数量'), dec('out_num', '已出库数量'), dec('in_num', '已入库数量'), str('remark', '备注', 255),
          ],
        }),
      ],
    }),
    p('total_count', '总条数', 'int'),
  ],
  query: { listKey: 'transfer_list', maxWindowMinutes: 30 * 24 * 60, pageSize: { min: 1, max: 100, default: 40 }, firstPage: 0 },
  keyParams: ['transfer_no', 'api_outer_no'],
};

const logisticsSyncQuery: WdtApiSpec = {
  name: 'logistics_sync_query',
  label: '查询物流同步',
  direction: 'query',
  describe: '取待同步到平台的发货记录 (每 5 分钟一次, 每次最多 100 条); 取到的记录必须用 logistics_sync_ack 回传。',
  request: [
    str('shop_no', '店铺编号', 20),
    p('limit', '返回条数', 'int', { describe: '1–100, 超过 100 按 100', min: 1, default: 100 }),
    p('is_part_sync_able', '是否支持拆单发货', 'tinyint', { enum: YESNO, describe: '不需要时不要传' }),
  ],
  response: [
    p('trades', '待同步记录', 'list', {
      children: [
        p('rec_id', '回传记录ID', 'bigint'), str('shop_no', '店铺编号', 20), str('tid', '原始单号', 40),
        p('platform_id', '平台ID', 'int'), p('logistics_type', '物流方式', 'int'), str('logistics_no', '物流单号', 40),
        str('logistics_code_erp', 'ERP物流编码', 40), str('logistics_name_erp', 'ERP物流名称', 40), str('logistics_name', '物流公司', 40),
        p('delivery_term', '发货条件', 'tinyint', { enum: DELIVERY_TERM }), dt('consign_time', '发货时间'),
        str('oids', '子订单编号(逗号分隔)', 1024), p('is_part_sync', '是否拆单发货', 'tinyint', { enum: YESNO }),
        p('trade_id', '系统订单ID', 'int'),
      ],
    }),
  ],
  query: { listKey: 'trades' },
};

export const catalogue: WdtApiSpec[] = [
  tradePush,
  stockTransferPush,
  stockoutTransferPush,
  stockinTransferPush,
  purchaseOrderPush,
  salesRefundPush,
  goodsPush,
  logisticsSyncAck,
  tradeQuery,
  stockoutOrderQueryTrade,
  stockQuery,
  stockQueryAll,
  goodsQuery,
  stockTransferQuery,
  logisticsSyncQuery,
];

export const catalogueByName: ReadonlyMap<string, WdtApiSpec> = new Map(catalogue.map((a) => [a.name, a]));
