/**
 * The WDT openapi2 simulator without HTTP: accounts, per-sid state, auth (sid/appkey/timestamp/sign), fault
 * injection, stats. `plugin.ts` puts it on Fastify; tests and the CLI use it through `startWdtSandbox`.
 */
import { catalogueByName, type WdtApiSpec } from '../catalogue.ts';
import { wdtSign } from '../sign.ts';
import { errorBody, SimError, type SimErrorKind } from './errors.ts';
import { Faults, type ApiFaults, type FaultConfig } from './faults.ts';
import { DEFAULT_MASTER_DATA, Tenant, type MasterData } from './model.ts';
import { handlers, shipTrades, type ShipOptions, type Ctx } from './apis.ts';
import { seedTenant } from './seed.ts';

export interface WdtAccount {
  sid: string;
  appkey: string;
  appsecret: string;
}

/** Demo account of every sandbox (documented in docs/connectors/wdt.md). */
export const WDT_DEMO_ACCOUNT: Readonly<WdtAccount & { shop_no: string; warehouse_no: string }> = Object.freeze({
  sid: 'qiaodemo',
  appkey: 'qiaodemo-test',
  appsecret: 'qiaodemo-secret',
  shop_no: 'api_test',
  warehouse_no: 'WH01',
});

export interface WdtSimOptions {
  /** Accepted accounts; none = WDT_DEMO_ACCOUNT. */
  accounts?: WdtAccount[];
  /** Seed N raw orders over the last days (some shipped) into every account, for demos. */
  seed?: number;
  faults?: FaultConfig;
  /** Override error codes by kind (see WDT_SIM_ERRORS). */
  errorCodes?: Partial<Record<SimErrorKind, number>>;
  /** Ship every pushed paid order at once (system order → 已发货 + 销售出库单 + 物流同步记录). */
  autoShip?: boolean;
  /** Allowed timestamp skew, seconds (real: 300). */
  timestampSkewSeconds?: number;
  /** Master data each account starts with. */
  masterData?: MasterData;
  /** Business clock in ms (order times, query windows, stock_query_all hours). The timestamp check always uses the real clock. */
  now?: () => number;
  /** Max items per call per API, overriding the catalogue's batch max (e.g. { trade_push: 100 }). */
  maxItems?: Record<string, number>;
}

export interface ApiStats {
  calls: number;
  ok: number;
  business_errors: number;
  http_errors: number;
  items: number;
  new_count: number;
  chg_count: number;
  faults: Record<string, number>;
  codes: Record<string, number>;
}

/** What the HTTP layer should do. */
export type SimAnswer =
  | { kind: 'json'; status: number; body: string; contentType: string }
  | { kind: 'hang' };

const JSON_CT = 'application/json; charset=utf-8';
const HTML_CT = 'text/html; charset=utf-8';
const SYSTEM = ['sid', 'appkey', 'timestamp', 'sign'] as const;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class WdtSim {
  readonly faults: Faults;
  private readonly accounts = new Map<string, Map<string, string>>();
  private tenants = new Map<string, Tenant>();
  private apiStats = new Map<string, ApiStats>();
  private clockOffsetMs = 0;
  readonly options: WdtSimOptions;

  constructor(opts: WdtSimOptions = {}) {
    this.options = opts;
    this.faults = new Faults(opts.faults);
    const accounts = opts.accounts?.length ? opts.accounts : [WDT_DEMO_ACCOUNT];
    for (const a of accounts) {
      let m = this.accounts.get(a.sid);
      if (!m) this.accounts.set(a.sid, (m = new Map()));
      m.set(a.appkey, a.appsecret);
    }
    this.reset(opts.seed);
  }

  /** Business clock (ms). */
  now(): number {
    return (this.options.now ?? Date.now)() + this.clockOffsetMs;
  }

  /** Shift the business clock (PUT /_sim/clock); the sign timestamp check keeps using the real clock. */
  setClock(atMs: number | null): void {
    this.clockOffsetMs = atMs === null ? 0 : atMs - (this.options.now ?? Date.now)();
  }

  /** Drop all state (and stats), re-create accounts' master data, optionally seed. */
  reset(seed?: number): void {
    this.tenants = new Map();
    this.apiStats = new Map();
    const now = this.now();
    for (const [sid, keys] of this.accounts) {
      const t = new Tenant(sid, [...keys.keys()], this.options.masterData ?? DEFAULT_MASTER_DATA, now);
      this.tenants.set(sid, t);
      if (seed) seedTenant(this, t, seed);
    }
  }

  tenant(sid?: string): Tenant {
    const t = sid ? this.tenants.get(sid) : this.tenants.values().next().value;
    if (!t) throw new SimError('unknown_sid', `卖家账号不存在: ${sid}`);
    return t;
  }

  tenantList(): Tenant[] {
    return [...this.tenants.values()];
  }

  stats(api: string): ApiStats {
    let s = this.apiStats.get(api);
    if (!s) {
      s = { calls: 0, ok: 0, business_errors: 0, http_errors: 0, items: 0, new_count: 0, chg_count: 0, faults: {}, codes: {} };
      this.apiStats.set(api, s);
    }
    return s;
  }

  allStats(): Record<string, ApiStats> {
    return Object.fromEntries(this.apiStats);
  }

  maxItems(spec: WdtApiSpec): number {
    return this.options.maxItems?.[spec.name] ?? spec.batch?.max ?? Infinity;
  }

  private json(status: number, body: unknown, f?: ApiFaults): SimAnswer {
    return { kind: 'json', status, body: JSON.stringify(body), contentType: f?.wrongContentType ? HTML_CT : JSON_CT };
  }

  private fail(api: string, err: SimError, f?: ApiFaults): SimAnswer {
    const body = errorBody(err, this.options.errorCodes ?? {});
    const s = this.stats(api);
    s.business_errors++;
    s.codes[String(body.code)] = (s.codes[String(body.code)] ?? 0) + 1;
    return this.json(err.kind === 'unknown_api' ? 404 : 200, body, f);
  }

  private authenticate(params: Record<string, string>): Tenant {
    for (const k of SYSTEM) if (!params[k]) throw new SimError('missing_system_param', `缺少系统参数: ${k}`);
    const keys = this.accounts.get(params.sid);
    if (!keys) throw new SimError('unknown_sid', `卖家账号不存在: ${params.sid}`);
    const secret = keys.get(params.appkey);
    if (secret === undefined) throw new SimError('unknown_appkey', `接口账号不存在或已停用: ${params.appkey}`);
    const ts = params.timestamp;
    const skew = this.options.timestampSkewSeconds ?? 300;
    if (!/^\d{1,12}$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > skew) {
      throw new SimError('timestamp', `时间戳超出允许范围(±${skew}秒): ${ts}`);
    }
    if (wdtSign(params, secret) !== params.sign.toLowerCase()) throw new SimError('sign', '签名错误');
    return this.tenant(params.sid);
  }

  /** One openapi2 call: faults, auth, validation, the API's effect, the answer. */
  async call(api: string, params: Record<string, string>): Promise<SimAnswer> {
    const spec = catalogueByName.get(api);
    const handler = handlers[api];
    const s = this.stats(api);
    s.calls++;
    if (!spec || !handler) return this.fail(api, new SimError('unknown_api', `接口不存在: ${api}`));
    const f = this.faults.for(api);
    if (f) {
      if (f.qps !== undefined && this.faults.overQps(api, params.sid ?? '', f.qps, Date.now())) {
        s.faults.qps = (s.faults.qps ?? 0) + 1;
        return this.fail(api, new SimError('rate_limit'), f);
      }
      const delay = (f.latencyMs ?? 0) + (f.jitterMs ? Math.random() * f.jitterMs : 0);
      if (delay > 0) await sleep(delay);
    }
    const action = f ? this.faults.pick(api, f) : undefined;
    if (action) s.faults[action] = (s.faults[action] ?? 0) + 1;
    const after = f?.phase === 'after';
    if (action && action !== 'error' && !after) return this.transportFault(api, action, '{"code":0,"message":""}', f);
    let answer: SimAnswer;
    try {
      const tenant = this.authenticate(params);
      if (action === 'error') {
        throw new SimError('injected', f?.errorMessage ?? `模拟业务错误(故障注入): ${api}`);
      }
      const ctx: Ctx = { sim: this, tenant, api, spec, now: this.now(), faults: f, stats: s };
      const body = handler(ctx, params);
      s.ok++;
      answer = this.json(200, { code: 0, message: '', ...body }, f);
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      if (err.kind === 'injected' && f?.errorCode !== undefined) {
        answer = this.json(200, { code: f.errorCode, message: err.message }, f);
        s.business_errors++;
      } else answer = this.fail(api, err, f);
    }
    if (action && action !== 'error' && after && answer.kind === 'json') return this.transportFault(api, action, answer.body, f);
    return answer;
  }

  private transportFault(api: string, action: 'http500' | 'http502' | 'hang' | 'garbage', body: string, f?: ApiFaults): SimAnswer {
    const s = this.stats(api);
    if (action === 'hang') return { kind: 'hang' };
    if (action === 'garbage') {
      // A cut-off answer: what a proxy dropping the connection mid-body looks like.
      const cut = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
      return { kind: 'json', status: 200, body: cut, contentType: f?.wrongContentType ? HTML_CT : JSON_CT };
    }
    s.http_errors++;
    const status = action === 'http500' ? 500 : 502;
    const title = status === 500 ? '500 Internal Server Error' : '502 Bad Gateway';
    return { kind: 'json', status, body: `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`, contentType: HTML_CT };
  }

  /** POST /_sim/ship: system orders → 已发货, with 销售出库单, stock out and 物流同步 rows. */
  ship(opts: ShipOptions & { sid?: string }) {
    return shipTrades(this, this.tenant(opts.sid), opts);
  }
}
