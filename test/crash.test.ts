/**
 * Durable before acknowledged: orders acknowledged by a server that is then killed with SIGKILL before it could
 * deliver them are delivered after a restart. The server runs as a real child process (`qiao serve`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import { freePort } from '../src/server/index.ts';
import { getJson, getToken, push, ROOT, seedOrder, seedWorkspace, tmpDir, waitFor } from './helpers.ts';

const children: ChildProcess[] = [];

async function serve(workspace: string, data: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), 'serve', '--workspace', workspace, '--data', data, '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, QIAO_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 20_000, `server to start (${err})`);
  return child;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('kill -9', () => {
  it('everything acknowledged before the kill is delivered after the restart', async () => {
    // The target is down while orders come in, so nothing is delivered before the kill.
    const sandboxPort = await freePort();
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}/openapi2/`;
    const ws = seedWorkspace({ wdtBaseUrl: sandboxUrl, noMountedSandbox: true, options: { retryLadder: [0.2] , maxRetries: 1000 } });
    const data = tmpDir('qiao-crash-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;

    const first = await serve(ws, data, port);
    const token = await getToken(url);
    const acknowledged: string[] = [];
    for (let b = 0; b < 6; b++) {
      const orders = Array.from({ length: 40 }, (_, i) => seedOrder(`K9-${b}-${i}`, 'api_test', 2));
      const r = await push(url, token, orders);
      expect(r.status).toBe(200);
      for (const x of r.body.results) if (x.status === 'accepted') acknowledged.push(x.id);
    }
    expect(acknowledged).toHaveLength(240);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const sandbox = await startWdtSandbox({ host: '127.0.0.1', port: sandboxPort });
    try {
      const second = await serve(ws, data, port);
      const token2 = await getToken(url);
      await waitFor(async () => (await getJson(`${url}/api/schemes`, token2)).schemes[0].counts.done === 240, 30_000, 'all delivered after restart');
      const body = await getJson(`${sandbox.url}_sim/trades`);
      const trades = (Array.isArray(body) ? body : body.trades) as Array<{ tid: string }>;
      expect(new Set(trades.map((t) => t.tid))).toEqual(new Set(acknowledged));
      // The first process's failed attempts are in the history: nothing silently dropped.
      const rec = await getJson(`${url}/api/schemes/seed/records?status=done&limit=1`, token2);
      const detail = await getJson(`${url}/api/schemes/seed/records/${rec.rows[0].id}`, token2);
      expect(detail.history.map((h: { kind: string }) => h.kind)).toContain('retry');
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    } finally {
      await sandbox.close();
    }
  }, 90_000);
});
