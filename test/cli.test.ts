/**
 * What `npm start` promises a new user: the banner's curl line works as printed, the order reaches the mounted
 * sandbox, and `qiao records list` shows it done. Also `qiao sim wdt` on its own.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/server/index.ts';
import { DEMO_APP, killSpawned, ROOT, spawnQiao, tmpDir, waitFor } from './helpers.ts';

afterAll(killSpawned);

function start(args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawnQiao(args);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out };
}

const hasCurl = spawnSync('curl', ['--version']).status === 0;

describe('qiao serve (the npm start path)', () => {
  it.skipIf(!hasCurl)('prints a push URL, the app key and a curl line that works as printed', async () => {
    const port = await freePort();
    const { out } = start(['serve', '--port', String(port), '--data', tmpDir('qiao-cli-')]);
    const banner = await waitFor(async () => (out().includes('Then look at it') ? out() : undefined), 20_000, 'banner');
    expect(banner).toContain(`push URL (`);
    expect(banner).toContain(`http://127.0.0.1:${port}/v2/open-api/business/seed/store`);
    expect(banner).toContain('app key: qiao-demo');
    expect(banner).not.toContain(DEMO_APP.app_secret);
    const curl = banner.split('\n').find((l) => l.trim().startsWith('curl -s -X POST'))!.trim();
    const answer = JSON.parse(execFileSync('bash', ['-c', curl], { cwd: ROOT, encoding: 'utf8' }));
    expect(answer).toMatchObject({ code: 0, accepted: 1 });

    await waitFor(async () => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), 'records', 'list', 'seed', '--url', `http://127.0.0.1:${port}`, '--app-key', DEMO_APP.app_key, '--app-secret', DEMO_APP.app_secret], { encoding: 'utf8' });
      return r.status === 0 && /done\s+QIAO-DEMO-0001/.test(r.stdout);
    }, 20_000, 'records list shows the sample order done');
    const trades = (await (await fetch(`http://127.0.0.1:${port}/sandbox/wdt/openapi2/_sim/trades`)).json()) as { trades: Array<{ tid: string }> };
    expect(trades.trades.map((t) => t.tid)).toContain('QIAO-DEMO-0001');
  });

  it('records list explains a wrong secret without a stack trace', async () => {
    const port = await freePort();
    const { out } = start(['serve', '--port', String(port), '--data', tmpDir('qiao-cli-')]);
    await waitFor(async () => (out().includes('Qiao is running') ? true : undefined), 20_000, 'server');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), 'records', 'list', 'seed', '--url', `http://127.0.0.1:${port}`, '--app-key', 'qiao-demo', '--app-secret', 'wrong-secret'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/login failed: unknown app_key or wrong app_secret/);
    expect(r.stderr).not.toContain('wrong-secret');
  });
});

describe('qiao sim wdt', () => {
  it('runs the sandbox on its own with the documented demo account', async () => {
    const port = await freePort();
    const { out } = start(['sim', 'wdt', '--port', String(port)]);
    await waitFor(async () => (out().includes('WDT sandbox listening') ? true : undefined), 20_000, 'sandbox');
    expect(out()).toContain(`http://127.0.0.1:${port}/openapi2/`);
    expect(out()).toContain('sid=qiaodemo');
    const r = await fetch(`http://127.0.0.1:${port}/openapi2/trade_push.php`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sid=qiaodemo' });
    const body = (await r.json()) as { code: number; message: string };
    expect(body.code).not.toBe(0); // unsigned call refused, in WDT's answer shape
    expect(typeof body.message).toBe('string');
  });
});
