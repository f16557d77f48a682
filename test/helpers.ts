/**
 * Test helpers: temporary workspaces derived from the seed example, seed-shaped orders, a real server on
 * loopback, and polling. Nothing here replaces the thing under test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startQiao, type RunningQiao } from '../src/server/index.ts';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const SEED = path.join(ROOT, 'examples/seed');
/** Node flags `npm start` and the `qiao` command run the server with (see bin/qiao.mjs). */
export const SERVER_NODE_ARGS = ['--max-old-space-size=256'];
export const DEMO_APP = { app_key: 'qiao-demo', app_secret: 'qiao-demo-secret-change-me' };

export function tmpDir(prefix = 'qiao-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface WorkspaceTweaks {
  /** Point the WDT connector at a standalone sandbox instead of the mounted one. */
  wdtBaseUrl?: string;
  /** Drop the mounted sandbox. */
  noMountedSandbox?: boolean;
  options?: Record<string, unknown>;
  /** Extra apps: file name → content. */
  apps?: Record<string, unknown>;
  connectorLimits?: Record<string, unknown>;
  /** Extra WDT connector params (timeout_ms …). */
  connectorParams?: Record<string, unknown>;
}

/** A copy of examples/seed with tweaks, in a temp folder. */
export function seedWorkspace(t: WorkspaceTweaks = {}): string {
  const dir = tmpDir('qiao-ws-');
  fs.cpSync(SEED, dir, { recursive: true });
  const connFile = path.join(dir, 'connectors/wdt-sandbox.json');
  const conn = JSON.parse(fs.readFileSync(connFile, 'utf8'));
  if (t.wdtBaseUrl) conn.params.base_url = t.wdtBaseUrl;
  if (t.connectorLimits) conn.limits = t.connectorLimits;
  if (t.connectorParams) conn.params = { ...conn.params, ...t.connectorParams };
  fs.writeFileSync(connFile, JSON.stringify(conn, null, 2));
  if (t.noMountedSandbox) fs.writeFileSync(path.join(dir, 'workspace.json'), '{"sandboxes": []}');
  if (t.options) {
    const f = path.join(dir, 'schemes/seed.json');
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    s.options = { ...s.options, ...t.options };
    fs.writeFileSync(f, JSON.stringify(s, null, 2));
  }
  for (const [name, app] of Object.entries(t.apps ?? {})) fs.writeFileSync(path.join(dir, `apps/${name}.json`), JSON.stringify(app));
  return dir;
}

export async function startServer(workspace: string, dataDir = tmpDir('qiao-data-'), extra: Partial<Parameters<typeof startQiao>[0]> = {}): Promise<RunningQiao> {
  return startQiao({ workspace, dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn', ...extra });
}

const PROVINCES = [
  ['浙江省', '杭州市', '西湖区'],
  ['广东省', '深圳市', '南山区'],
  ['北京', '北京市', '海淀区'],
  ['四川省', '成都市', '武侯区'],
];

/** A seed-shaped order (the seed page's OpenCallback fields), with Chinese text and n lines. */
export function seedOrder(tid: string, shop = 'api_test', lines = 2): Record<string, unknown> {
  const [p, c, d] = PROVINCES[tid.length % PROVINCES.length];
  const orderList = Array.from({ length: lines }, (_, i) => ({
    oid: `${tid}-${i + 1}`,
    num: String(i + 1),
    price: (19.9 + i * 10).toFixed(2),
    status: '30',
    refund_status: '0',
    goods_id: `G${1000 + i}`,
    spec_id: `S${1000 + i}`,
    goods_no: `GN-${i}`,
    spec_no: `SP-${i}`,
    goods_name: `龙井茶 ${i + 1} 号`,
    spec_name: '250克',
    adjust_amount: '0',
    discount: '0',
    share_discount: '0',
  }));
  return {
    shop_no: shop,
    tid,
    trade_status: '30',
    pay_status: '2',
    delivery_term: '1',
    trade_time: '2026-11-28 09:00:00',
    pay_time: '2026-11-28 09:01:00',
    fenxiao_type: '0',
    buyer_nick: `买家-${tid}`,
    receiver_name: '李四',
    receiver_province: p,
    receiver_city: c,
    receiver_district: d,
    receiver_address: `${p} ${c} ${d} 科技路 ${tid.length} 号 😀`,
    receiver_mobile: '13900000000',
    logistics_type: '-1',
    post_amount: '8.00',
    cod_amount: '0',
    ext_cod_fee: '0',
    other_amount: '0',
    paid: '100.00',
    order_list: orderList,
  };
}

export async function getToken(url: string, app = DEMO_APP): Promise<string> {
  const r = await fetch(`${url}/v2/oauth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(app) });
  const body = (await r.json()) as { access_token: string };
  if (!r.ok) throw new Error(`oauth failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function push(url: string, token: string, content: unknown[], scheme = 'seed', extra: object = {}) {
  const r = await fetch(`${url}/v2/open-api/business/${scheme}/store`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ content, ...extra }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

export async function getJson(url: string, token?: string): Promise<any> {
  const r = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return r.json();
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every `qiao` child process started through these helpers, so a test file can kill what it left running. */
export const spawned: ChildProcess[] = [];

/** Runs `qiao …` as its own process, with the server's Node flags. */
export function spawnQiao(args: string[], opts: { logLevel?: string; stdio?: 'ignore' | 'pipe' } = {}): ChildProcess {
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, path.join(ROOT, 'bin/qiao.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, QIAO_LOG_LEVEL: opts.logLevel ?? 'warn' },
    stdio: opts.stdio === 'ignore' ? 'ignore' : ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  return child;
}

/** `qiao serve` as a real child process (so it can be killed with SIGKILL); resolves once /healthz answers. */
export async function spawnServe(workspace: string, dataDir: string, port: number, opts: { logLevel?: string } = {}): Promise<ChildProcess> {
  const child = spawnQiao(['serve', '--workspace', workspace, '--data', dataDir, '--port', String(port)], { logLevel: opts.logLevel });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 30_000, `server to start (${err})`);
  return child;
}

export function killSpawned(): void {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Peak resident memory of a process (VmHWM), MB. */
export function peakRssMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Current resident memory of a process (VmRSS), MB. */
export function rssMB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Sets a WDT sandbox's fault injection (`/_sim/faults`), or clears it with null. */
export async function setSimFaults(sandboxUrl: string, faults: object | null): Promise<void> {
  const r = await fetch(`${sandboxUrl}_sim/faults`, faults === null
    ? { method: 'DELETE' }
    : { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
  if (!r.ok) throw new Error(`sandbox refused the faults: ${await r.text()}`);
}
