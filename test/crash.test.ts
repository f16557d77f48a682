/**
 * Durable before acknowledged: orders acknowledged by a server that is then killed with SIGKILL before it could
 * deliver them are delivered after a restart. The server runs as a real child process (`qiao serve`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startWdtSandbox } from '../src/connectors/wdt/index.ts';
import { freePort } from '../src/server/index.ts';
import { getJson, getToken, killSpawned, push, seedOrder, seedWorkspace, spawnServe as serve, tmpDir, waitFor } from './helpers.ts';

afterAll(killSpawned);

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
    // The first process has tried (and failed) to deliver before it dies.
    await waitFor(async () => /qiao_records_settled_total\{scheme="seed",result="retry"\} [1-9]/.test(await (await fetch(`${url}/metrics`)).text()), 10_000, 'a failed attempt');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const sandbox = await startWdtSandbox({ host: '127.0.0.1', port: sandboxPort });
    try {
      const second = await serve(ws, data, port);
      const token2 = await getToken(url);
      await waitFor(async () => (await getJson(`${url}/api/schemes`, token2)).schemes[0].counts.done === 240, 30_000, 'all delivered after restart');
      const { trades } = (await getJson(`${sandbox.url}_sim/trades`)) as { trades: Array<{ tid: string }> };
      expect(new Set(trades.map((t) => t.tid))).toEqual(new Set(acknowledged));
      // The first process's failed attempts are in the records' histories: the trace shows the replay.
      const list = await getJson(`${url}/api/schemes/seed/records?status=done&limit=1000`, token2);
      let retried = 0;
      for (const row of list.rows) {
        const detail = await getJson(`${url}/api/schemes/seed/records/${row.id}`, token2);
        if (detail.history.some((h: { kind: string }) => h.kind === 'retry')) retried++;
      }
      expect(retried).toBeGreaterThan(0);
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    } finally {
      await sandbox.close();
    }
  }, 90_000);
});
