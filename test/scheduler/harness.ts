/**
 * Scheduler test fixtures: a WDT sandbox and an HTTP simulator on loopback sharing one controllable business clock
 * with the scheduler, temporary workspaces made of connectors and schemes, and a real `qiao serve` (in process) on
 * them. Nothing here replaces the thing under test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startWdtSandbox, type WdtSandboxHandle, type WdtSandboxOptions } from '../../src/connectors/wdt/index.ts';
import { startHttpSandbox, type HttpSandboxHandle, type HttpSimOptions } from '../../src/connectors/http/index.ts';
import { startQiao, type RunningQiao } from '../../src/server/index.ts';
import { SqliteSourceJobs } from '../../src/store/sqlite/source-jobs.ts';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { DEMO_APP, getToken, tmpDir } from '../helpers.ts';

/** A business clock tests move forward (or back) at will; it otherwise runs with real time. */
export class Clock {
  offset = 0;
  now = (): number => Date.now() + this.offset;
  advance(ms: number): void {
    this.offset += ms;
  }
}

export const MIN = 60_000;

export function wdtConnector(sb: WdtSandboxHandle, extra: Record<string, unknown> = {}) {
  return {
    name: 'wdt',
    platform: 'wdt',
    env: 'sandbox',
    params: { sid: 'qiaodemo', appkey: 'qiaodemo-test', appsecret: 'qiaodemo-secret', base_url: sb.url, timeout_ms: 5000 },
    ...extra,
  };
}

export function httpConnector(sb: HttpSandboxHandle, name = 'erp', params: Record<string, unknown> = {}) {
  return {
    name,
    platform: 'http',
    env: 'sandbox',
    params: { base_url: sb.url, auth: 'bearer', token: 'qiao-http-demo-token', success: '$.code == 0', ...params },
  };
}

export const NOOP_CONNECTOR = { name: 'store', platform: 'qeasy', env: 'production', params: {} };
export const NOOP_TARGET = { connector: 'store', metadata: { api: 'noop', request: [] } };

/** Source metadata for WDT 查询销售出库单 (stockout_order_query_trade) by 发货时间, paged from 0. */
export function stockoutSource(extra: Record<string, unknown> = {}) {
  return {
    api: 'stockout_order_query_trade',
    type: 'QUERY',
    method: 'POST',
    id: 'order_no',
    number: 'order_no',
    idCheck: true,
    request: [
      { field: 'start_time', type: 'string', value: '{{LAST_SYNC_TIME|datetime}}' },
      { field: 'end_time', type: 'string', value: '{{CURRENT_TIME|datetime}}' },
      { field: 'page_no', type: 'int', value: '{{PAGINATION_PAGE}}' },
      { field: 'page_size', type: 'int', value: '{{PAGINATION_PAGE_SIZE}}' },
    ],
    response: [
      { field: 'order_no', type: 'string', is_required: true },
      { field: 'src_tids', type: 'string' },
      { field: 'status', type: 'int' },
      { field: 'consign_time', type: 'datetime', is_required: true },
      { field: 'details_list', type: 'array', children: [{ field: 'spec_no', type: 'string', is_required: true }, { field: 'goods_count', type: 'float' }] },
    ],
    otherResponse: [{ field: 'listKey', value: 'stockout_list' }],
    ...extra,
  };
}

export interface SchemeSpec {
  id: string;
  source: { connector: string; metadata: unknown; schedule?: unknown };
  target?: { connector: string; metadata: unknown; schedule?: unknown };
  enabled?: boolean;
  options?: Record<string, unknown>;
}

export function workspace(connectors: unknown[], schemes: SchemeSpec[], sandboxes: string[] = []): string {
  const dir = tmpDir('qiao-sched-ws-');
  for (const sub of ['connectors', 'schemes', 'apps']) fs.mkdirSync(path.join(dir, sub));
  fs.writeFileSync(path.join(dir, 'workspace.json'), JSON.stringify({ sandboxes }));
  fs.writeFileSync(path.join(dir, 'apps/demo.json'), JSON.stringify({ ...DEMO_APP, scopes: ['push', 'admin'] }));
  for (const c of connectors as Array<{ name: string }>) fs.writeFileSync(path.join(dir, `connectors/${c.name}.json`), JSON.stringify(c, null, 2));
  for (const s of schemes)
    fs.writeFileSync(
      path.join(dir, `schemes/${s.id}.json`),
      JSON.stringify({ name: s.id, enabled: s.enabled ?? true, target: NOOP_TARGET, ...s }, null, 2),
    );
  return dir;
}

export async function wdtSandbox(clock: Clock, opts: WdtSandboxOptions = {}): Promise<WdtSandboxHandle> {
  return startWdtSandbox({ host: '127.0.0.1', port: 0, now: clock.now, ...opts });
}

export async function httpSandbox(clock: Clock, opts: HttpSimOptions = {}): Promise<HttpSandboxHandle> {
  return startHttpSandbox({ host: '127.0.0.1', port: 0, now: clock.now, auth: 'demo', ...opts });
}

export interface Server {
  q: RunningQiao;
  token: string;
  api(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
  status(scheme: string): Promise<any>;
  /** Run the source now and wait until its whole window is read. */
  run(scheme: string, body?: Record<string, unknown>): Promise<any>;
  jobs: SqliteSourceJobs;
  /** Stored records of a scheme: sourceId → status name. */
  records(scheme: string): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export async function serve(ws: string, clock: Clock, dataDir = tmpDir('qiao-sched-data-')): Promise<Server> {
  const q = await startQiao({
    workspace: ws,
    dataDir,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'error',
    scheduler: { now: clock.now, tickMs: 100 },
    dispatcher: { idleMs: 50 },
  });
  const token = await getToken(q.url);
  const api = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(`${q.url}${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };
  return {
    q,
    token,
    api,
    jobs: new SqliteSourceJobs((q.store as SqliteStore).db),
    async status(scheme) {
      return (await api('GET', `/api/schemes/${scheme}/schedule`)).body;
    },
    async run(scheme, body = {}) {
      const r = await api('POST', `/api/schemes/${scheme}/run`, { wait: true, timeoutMs: 30_000, ...body });
      if (r.status !== 200) throw new Error(`run ${scheme}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    },
    async records(scheme) {
      const out = new Map<string, string>();
      for (let offset = 0; ; offset += 1000) {
        const r = await api('GET', `/api/schemes/${scheme}/records?limit=1000&offset=${offset}`);
        for (const row of r.body.rows) out.set(row.sourceId, row.statusName);
        if (r.body.rows.length < 1000) break;
      }
      return out;
    },
    close: () => q.close(),
  };
}

/** The sandbox's stockouts a window query would return now (status ≥ 95, 发货时间 in [from, to]). */
export function stockoutsIn(sb: WdtSandboxHandle, from: number, to: number): string[] {
  const t = sb.state.tenant();
  return [...t.stockouts.values()]
    .filter((so) => so.status >= 95 && Math.floor(so.consign_time / 1000) * 1000 >= from && Math.floor(so.consign_time / 1000) * 1000 <= to)
    .map((so) => so.stockout_no)
    .sort();
}

/** Log the page_no (and time) of every call of one API the sandbox answers. */
export function recordCalls(sb: WdtSandboxHandle, api: string): Array<{ page: number; params: Record<string, string> }> {
  const log: Array<{ page: number; params: Record<string, string> }> = [];
  const sim = sb.state;
  const call = sim.call.bind(sim);
  sim.call = async (name, params) => {
    if (name === api) log.push({ page: Number(params.page_no ?? 0), params: { ...params } });
    return call(name, params);
  };
  return log;
}
