/**
 * The catalogue (标准API库) and connector checks, through the management API and the CLI.
 */
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningQiao } from '../src/server/index.ts';
import { getJson, getToken, ROOT, seedWorkspace, startServer } from './helpers.ts';

const qiao = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
/** Async, because the server under test runs in this process and must keep answering. */
const qiaoAsync = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } }).then(
    (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

let q: RunningQiao;
let token: string;
beforeAll(async () => {
  q = await startServer(seedWorkspace());
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
});

describe('GET /api/platforms', () => {
  it('lists wdt with its write and query APIs and connector params', async () => {
    const { platforms } = await getJson(`${q.url}/api/platforms`, token);
    const wdt = platforms.find((p: { name: string }) => p.name === 'wdt');
    expect(wdt.label).toBe('旺店通·企业版');
    const names = wdt.apis.map((a: { name: string }) => a.name);
    for (const n of ['trade_push', 'stockin_transfer_push', 'sales_refund_push', 'trade_query', 'stockout_order_query_trade', 'stock_query_all'])
      expect(names).toContain(n);
    expect(wdt.apis.find((a: { name: string }) => a.name === 'trade_push').batch).toEqual({ param: 'trade_list', max: 50 });
    expect(wdt.params.find((p: { name: string }) => p.name === 'appsecret').secret).toBe(true);
    expect(platforms.map((p: { name: string }) => p.name)).toContain('qeasy');
  });

  it('gives one API with its field tables; 404 for an unknown one', async () => {
    const api = await getJson(`${q.url}/api/platforms/wdt/apis/trade_push`, token);
    const tid = api.request.find((f: { field: string }) => f.field === 'tid');
    expect(tid).toMatchObject({ label: '原始单号', is_required: true });
    const lines = api.request.find((f: { field: string }) => f.field === 'order_list');
    expect(lines.children.map((f: { field: string }) => f.field)).toContain('oid');
    const r = await fetch(`${q.url}/api/platforms/wdt/apis/nope`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
  });

  it('requires an admin token', async () => {
    expect((await fetch(`${q.url}/api/platforms`)).status).toBe(401);
  });
});

describe('connectors', () => {
  it('lists connectors with secrets masked', async () => {
    const { connectors } = await getJson(`${q.url}/api/connectors`, token);
    const wdt = connectors.find((c: { name: string }) => c.name === 'wdt-sandbox');
    expect(wdt.params.appsecret).toBe('***');
    expect(wdt.params.sid).toBe('qiaodemo');
  });

  it('POST /api/connectors/{name}/test proves credentials against the mounted sandbox', async () => {
    const r = await fetch(`${q.url}/api/connectors/wdt-sandbox/test`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const body = (await r.json()) as { ok: boolean; message: string };
    expect(body.ok).toBe(true);
    expect(body.message).not.toContain('qiaodemo-secret');
  });

  it('qiao connector test reports a wrong secret as FAILED with exit 1, without printing it', async () => {
    const ok = await qiaoAsync(['connector', 'test', 'wdt-sandbox', '--url', q.url]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^OK {2}wdt-sandbox/);
    const bad = await qiaoAsync(['connector', 'test', 'wdt-sandbox', '--url', q.url], { WDT_APPSECRET: 'not-the-secret' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/^FAILED {2}wdt-sandbox: .*签名/);
    expect(bad.stdout + bad.stderr).not.toContain('not-the-secret');
  });
});

describe('qiao catalogue', () => {
  it('lists the APIs and prints one API as field tables', () => {
    const list = qiao('catalogue', 'wdt');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/trade_push\s+write\s+创建原始订单\s+batch trade_list ≤ 50/);
    expect(list.stdout).toMatch(/trade_query\s+query\s+.*window ≤ 60 min/);
    const one = qiao('catalogue', 'wdt', 'trade_push');
    expect(one.stdout).toMatch(/tid\s+原始单号\s+string\s+必填/);
    expect(one.stdout).toMatch(/^ {2}oid\s+子订单编号/m);
    const unknown = qiao('catalogue', 'wdt', 'nope');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/has no API "nope"/);
  });
});
