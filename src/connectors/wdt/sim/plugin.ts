/**
 * The simulator on Fastify. Routes are relative, so the same plugin serves the sandbox mounted in the Qiao
 * server (prefix `/sandbox/wdt/openapi2`) and the standalone `qiao sim wdt` (prefix `/openapi2`):
 *
 *   POST /<api>.php                         the openapi2 APIs (form-encoded, signed)
 *   GET  /_sim/trades[?tid=&shop_no=&sid=&offset=&limit=]   raw orders as stored, with push counts
 *   GET  /_sim/stats                        calls per API, new/chg counts, faults fired, error codes
 *   GET  /_sim/state                        sizes of every table, per account
 *   GET  /_sim/stock  /_sim/transfers  /_sim/purchases  /_sim/refunds  /_sim/logistics
 *   POST /_sim/ship                         {tids?, trade_nos?, shop_no?, limit?, status?} → 已发货 + 出库单
 *   POST /_sim/purchases/receive            {purchase_no}
 *   POST /_sim/transfers/check              {transfer_no}
 *   POST /_sim/reset                        {seed?}
 *   GET/PUT/DELETE /_sim/faults             fault injection config
 *   GET/PUT /_sim/clock                     {now: 'yyyy-MM-dd HH:mm:ss' | epoch ms | null}
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { catalogue } from '../catalogue.ts';
import { SimError, errorBody } from './errors.ts';
import { validateFaults, type FaultConfig } from './faults.ts';
import { WdtSim, type WdtSimOptions } from './sim.ts';
import { checkTransfer, receivePurchase } from './apis.ts';
import { fmtBeijing, parseBeijing } from './time.ts';

export interface WdtSandboxPluginOptions extends WdtSimOptions {
  /** Use this simulator instead of creating one (standalone keeps a handle on it). */
  sim?: WdtSim;
  /** A hanging request is dropped after this long at the latest (ms). */
  maxHangMs?: number;
}

const FORM = 'application/x-www-form-urlencoded';

export async function wdtSandboxPlugin(app: FastifyInstance, opts: WdtSandboxPluginOptions = {}): Promise<WdtSim> {
  const sim = opts.sim ?? new WdtSim(opts);
  const hanging = new Set<FastifyReply>();
  const maxHang = opts.maxHangMs ?? 10 * 60_000;

  // Our own form parser (scoped to this plugin): we need every field as sent to check the sign.
  if (app.hasContentTypeParser(FORM)) app.removeContentTypeParser(FORM);
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 32 * 1024 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const dropHanging = () => {
    for (const r of hanging) r.raw.destroy();
    hanging.clear();
  };
  app.addHook('preClose', (done) => {
    dropHanging();
    done();
  });
  app.addHook('onClose', (_i, done) => {
    dropHanging();
    done();
  });

  const openapi = (api: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const params: Record<string, string> = {};
    for (const src of [req.query, req.body]) {
      if (src && typeof src === 'object') for (const [k, v] of Object.entries(src)) params[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
    }
    const answer = await sim.call(api, params);
    if (answer.kind === 'hang') {
      hanging.add(reply);
      const timer = setTimeout(() => {
        hanging.delete(reply);
        reply.raw.destroy();
      }, maxHang);
      reply.raw.on('close', () => {
        clearTimeout(timer);
        hanging.delete(reply);
      });
      return reply.hijack();
    }
    return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  };

  for (const spec of catalogue) {
    app.route({ method: ['GET', 'POST'], url: `/${spec.name}.php`, handler: openapi(spec.name) });
  }
  // Unknown API names answer like the real gateway would for a missing script.
  app.route({
    method: ['GET', 'POST'],
    url: '/:script',
    handler: async (req, reply) => {
      const script = (req.params as { script: string }).script;
      if (!script.endsWith('.php')) return reply.code(404).send({ error: 'not found' });
      return openapi(script.slice(0, -4))(req, reply);
    },
  });

  const simError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof SimError) return reply.code(400).send(errorBody(err, sim.options.errorCodes ?? {}));
    throw err;
  };
  const body = (req: FastifyRequest) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});
  const q = (req: FastifyRequest) => req.query as Record<string, string | undefined>;

  app.get('/_sim/trades', async (req, reply) => {
    try {
      const { sid, tid, shop_no } = q(req);
      const offset = Number(q(req).offset ?? 0) || 0;
      const limit = Number(q(req).limit ?? 10000) || 10000;
      const out = [];
      let total = 0;
      for (const t of sid ? [sim.tenant(sid)] : sim.tenantList()) {
        const rows = tid ? [t.rawTrades.get(tid)].filter((r) => !!r) : t.rawTrades.values();
        for (const r of rows) {
          if (shop_no && r!.shop_no !== shop_no) continue;
          total++;
          if (total <= offset || out.length >= limit) continue;
          const sys = r!.trade_no ? t.sysTrades.get(r!.trade_no) : undefined;
          out.push({
            sid: t.sid, tid: r!.tid, shop_no: r!.shop_no, push_count: r!.pushCount, created: fmtBeijing(r!.created), modified: fmtBeijing(r!.modified),
            trade_no: r!.trade_no ?? null, system_status: sys?.status ?? null, stockout_no: sys?.stockout_no ?? null,
            refund_status: Object.fromEntries(r!.refundStatus), trade: r!.data,
          });
        }
      }
      return { total, trades: out };
    } catch (err) {
      return simError(reply, err);
    }
  });

  app.get('/_sim/stats', async () => {
    const apis = sim.allStats();
    const totals = { calls: 0, ok: 0, business_errors: 0, http_errors: 0, items: 0, new_count: 0, chg_count: 0 };
    for (const [name, s] of Object.entries(apis)) {
      if (name.startsWith('_')) continue;
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += s[k];
    }
    return { totals, apis: Object.fromEntries(Object.entries(apis).filter(([k]) => !k.startsWith('_'))) };
  });

  app.get('/_sim/state', async () => ({
    now: fmtBeijing(sim.now()),
    accounts: sim.tenantList().map((t) => ({
      sid: t.sid,
      shops: [...t.shops.values()],
      warehouses: [...t.warehouses.values()],
      providers: [...t.providers.values()],
      counts: {
        raw_trades: t.rawTrades.size, system_trades: t.sysTrades.size, stockouts: t.stockouts.size, stock_rows: t.stock.size,
        goods: t.goods.size, specs: t.specs.size, transfers: t.transfers.size, purchases: t.purchases.size, refunds: t.refunds.size,
        logistics_pending: [...t.logistics.values()].filter((l) => l.sync_status === 0).length,
      },
    })),
  }));

  const listing = (pick: (t: ReturnType<WdtSim['tenant']>) => unknown[]) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      const sid = q(req).sid;
      return (sid ? [sim.tenant(sid)] : sim.tenantList()).flatMap((t) => pick(t).map((r) => ({ sid: t.sid, ...(r as object) })));
    } catch (err) {
      return simError(reply, err);
    }
  };
  app.get('/_sim/stock', listing((t) => [...t.stock.values()]));
  app.get('/_sim/transfers', listing((t) => [...t.transfers.values()]));
  app.get('/_sim/purchases', listing((t) => [...t.purchases.values()]));
  app.get('/_sim/refunds', listing((t) => [...t.refunds.values()]));
  app.get('/_sim/logistics', listing((t) => [...t.logistics.values()]));

  app.post('/_sim/ship', async (req, reply) => {
    try {
      const b = body(req);
      return sim.ship({
        sid: b.sid as string | undefined,
        tids: Array.isArray(b.tids) ? b.tids.map(String) : undefined,
        trade_nos: Array.isArray(b.trade_nos) ? b.trade_nos.map(String) : undefined,
        shop_no: b.shop_no as string | undefined,
        limit: b.limit === undefined ? undefined : Number(b.limit),
        status: b.status === undefined ? undefined : Number(b.status),
        logistics_no: b.logistics_no as string | undefined,
      });
    } catch (err) {
      return simError(reply, err);
    }
  });
  app.post('/_sim/purchases/receive', async (req, reply) => {
    try {
      const b = body(req);
      return receivePurchase(sim, sim.tenant(b.sid as string | undefined), String(b.purchase_no ?? ''));
    } catch (err) {
      return simError(reply, err);
    }
  });
  app.post('/_sim/transfers/check', async (req, reply) => {
    try {
      const b = body(req);
      return checkTransfer(sim, sim.tenant(b.sid as string | undefined), String(b.transfer_no ?? ''));
    } catch (err) {
      return simError(reply, err);
    }
  });
  app.post('/_sim/reset', async (req) => {
    const b = body(req);
    sim.reset(b.seed === undefined ? undefined : Number(b.seed));
    return { ok: true };
  });

  app.get('/_sim/faults', async () => sim.faults.get());
  app.put('/_sim/faults', async (req, reply) => {
    const problems = validateFaults(req.body);
    if (problems.length) return reply.code(400).send({ error: 'invalid fault config', problems });
    sim.faults.set(req.body as FaultConfig);
    return sim.faults.get();
  });
  app.delete('/_sim/faults', async () => {
    sim.faults.set({});
    return {};
  });

  app.get('/_sim/clock', async () => ({ now: fmtBeijing(sim.now()), epoch_ms: sim.now() }));
  app.put('/_sim/clock', async (req, reply) => {
    const v = body(req).now;
    let at: number | null | undefined;
    if (v === null || v === undefined) at = null;
    else if (typeof v === 'number') at = v;
    else at = parseBeijing(String(v));
    if (at === undefined) return reply.code(400).send({ error: 'now: yyyy-MM-dd HH:mm:ss (Beijing), epoch ms, or null to reset' });
    sim.setClock(at);
    return { now: fmtBeijing(sim.now()), epoch_ms: sim.now() };
  });

  return sim;
}
