/** `seed: N`: N plausible raw orders over the last three days, about 60 % of them shipped, for demos. */
import { catalogueByName } from '../catalogue.ts';
import type { Tenant } from './model.ts';
import type { WdtSim } from './sim.ts';
import { applyTrade, shipOne, type Ctx } from './apis.ts';
import { fmtBeijing } from './time.ts';

const NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨帆', '赵磊', '黄敏'];
const PLACES = [
  ['浙江省', '杭州市', '西湖区', '文三路 90 号'],
  ['广东省', '深圳市', '南山区', '科技园南区 8 栋'],
  ['上海市', '上海市', '浦东新区', '世纪大道 100 号'],
  ['北京市', '北京市', '海淀区', '中关村大街 27 号'],
];

export function seedTenant(sim: WdtSim, t: Tenant, n: number): void {
  const spec = catalogueByName.get('trade_push')!;
  const end = sim.now();
  const span = 3 * 24 * 3600_000;
  const specs = [...t.specs.values()];
  const shop = t.shops.get('api_test') ?? [...t.shops.values()].find((s) => s.platform_id === 127)!;
  // A fixed-seed generator keeps demos reproducible.
  let x = 20240601;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < n; i++) {
    const at = end - span + Math.floor((span * (i + 1)) / (n + 1));
    const name = NAMES[i % NAMES.length];
    const place = PLACES[i % PLACES.length];
    const s = specs[i % specs.length];
    const qty = 1 + Math.floor(rnd() * 3);
    const price = s?.retail_price || 99;
    const tid = `SEED${String(i + 1).padStart(6, '0')}`;
    const trade = {
      tid, trade_status: 30, pay_status: 2, delivery_term: 1, trade_time: fmtBeijing(at - 60_000), pay_time: fmtBeijing(at),
      buyer_nick: `${name}${i}`, receiver_name: name, receiver_province: place[0], receiver_city: place[1], receiver_district: place[2],
      receiver_address: place[3], receiver_mobile: `1380000${String(i).padStart(4, '0')}`, logistics_type: -1,
      post_amount: 0, cod_amount: 0, ext_cod_fee: 0, other_amount: 0, paid: qty * price,
      order_list: [{
        oid: `${tid}-1`, num: qty, price, status: 30, refund_status: 0, goods_id: s?.goods_no ?? 'G001', spec_id: s?.spec_no ?? 'SKU001',
        goods_no: s?.goods_no ?? 'G001', spec_no: s?.spec_no ?? 'SKU001', goods_name: '演示商品', spec_name: s?.spec_name ?? '',
        adjust_amount: 0, discount: 0, share_discount: 0,
      }],
    };
    const ctx = { sim, tenant: t, api: 'trade_push', spec, now: at, stats: sim.stats('_seed') } as Ctx;
    applyTrade(ctx, trade, shop);
    if (rnd() < 0.6) {
      const raw = t.rawTrades.get(tid)!;
      const sys = t.sysTrades.get(raw.trade_no!)!;
      if (sys.status === 30) shipOne(t, sys, raw, Math.min(end, at + 3600_000 + Math.floor(rnd() * 6 * 3600_000)));
    }
  }
}
