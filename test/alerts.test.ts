/**
 * Alerts reach a real webhook receiver on loopback in the robot's own format, once per outage (firing, then
 * resolved), never once per failed record.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookRequest, type AlertRule } from '../src/engine/alerts.ts';
import type { RunningQiao } from '../src/server/index.ts';
import { getToken, push, seedOrder, seedWorkspace, startServer, waitFor } from './helpers.ts';

interface Received {
  url: string;
  body: any;
}
let receiver: http.Server;
let hookBase: string;
const received: Received[] = [];
let q: RunningQiao;
let token: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      received.push({ url: req.url!, body: JSON.parse(data) });
      res.setHeader('content-type', 'application/json');
      res.end('{"errcode":0}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookBase = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  const ws = seedWorkspace();
  const rules: AlertRule[] = [
    { name: 'errors-ding', url: `${hookBase}/robot/send?access_token=t1`, format: 'dingtalk', secret: 'SECxyz', errorThreshold: 2, windowMinutes: 10 },
    { name: 'backlog-feishu', url: `${hookBase}/open-apis/bot/v2/hook/abc`, format: 'feishu', backlogThreshold: 3 },
  ];
  fs.writeFileSync(path.join(ws, 'workspace.json'), JSON.stringify({ sandboxes: ['wdt'], alerts: rules }));
  q = await startServer(ws);
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
  receiver?.close();
});

const counts = async () => (await (await fetch(`${q.url}/api/schemes`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;

describe('alerts', () => {
  it('an error burst sends one signed DingTalk alert, then one "resolved" when it clears', async () => {
    await push(q.url, token, [seedOrder('AL-1', 'no-such-shop'), seedOrder('AL-2', 'no-such-shop'), seedOrder('AL-3', 'no-such-shop')]);
    await waitFor(async () => (await counts()).schemes[0].counts.error >= 3, 10_000, 'errors');
    await q.alerts.check();
    await q.alerts.check(); // still failing: no second message
    const ding = received.filter((r) => r.url.startsWith('/robot/send'));
    expect(ding).toHaveLength(1);
    expect(ding[0].body.msgtype).toBe('text');
    expect(ding[0].body.text.content).toMatch(/【桥 Qiao 告警】集成方案 seed: 3 条记录出错/);
    const u = new URL(ding[0].url, hookBase);
    const ts = u.searchParams.get('timestamp')!;
    expect(u.searchParams.get('sign')).toBe(createHmac('sha256', 'SECxyz').update(`${ts}\nSECxyz`).digest('base64'));

    // The operator sets the bad orders aside: the error count drops and the alert resolves, once.
    await fetch(`${q.url}/api/schemes/seed/records/ignore`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: ['error'] }),
    });
    await q.alerts.check();
    await q.alerts.check();
    const after = received.filter((r) => r.url.startsWith('/robot/send'));
    expect(after).toHaveLength(2);
    expect(after[1].body.text.content).toMatch(/【桥 Qiao 恢复】/);
  });

  it('a backlog on a stopped scheme sends one Feishu alert; delivery resolves it', async () => {
    await fetch(`${q.url}/api/schemes/seed/stop`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await push(q.url, token, [seedOrder('BL-1'), seedOrder('BL-2'), seedOrder('BL-3')]);
    await q.alerts.check();
    await q.alerts.check();
    const feishu = () => received.filter((r) => r.url.startsWith('/open-apis'));
    expect(feishu()).toHaveLength(1);
    expect(feishu()[0].body).toMatchObject({ msg_type: 'text' });
    expect(feishu()[0].body.content.text).toMatch(/积压 3 条记录 \(阈值 3\)/);
    await fetch(`${q.url}/api/schemes/seed/start`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await waitFor(async () => (await counts()).schemes[0].counts.pending === 0, 10_000, 'delivered');
    await q.alerts.check();
    expect(feishu()).toHaveLength(2);
    expect(feishu()[1].body.content.text).toMatch(/恢复/);
  });

  it('formats WeCom and signed Feishu messages as those robots expect', () => {
    const e = { rule: 'r', scheme: 's', kind: 'errors' as const, state: 'firing' as const, value: 5, threshold: 1, at: '2026-11-29T00:00:00.000Z' };
    expect(webhookRequest({ name: 'r', url: 'http://x/cgi-bin/webhook/send?key=k', format: 'wecom' }, e).body).toEqual({ msgtype: 'text', text: { content: expect.stringContaining('5 条记录出错') } });
    const f = webhookRequest({ name: 'r', url: 'http://x/hook', format: 'feishu', secret: 'sec' }, e, 1_700_000_000_000).body as Record<string, string>;
    expect(f.timestamp).toBe('1700000000');
    expect(f.sign).toBe(createHmac('sha256', '1700000000\nsec').update('').digest('base64'));
  });

  it('a workspace with a bad alert rule is refused with its path', async () => {
    const ws = seedWorkspace();
    fs.writeFileSync(path.join(ws, 'workspace.json'), JSON.stringify({ alerts: [{ name: 'x', url: 'ftp://nope', format: 'pager' }] }));
    await expect(startServer(ws)).rejects.toMatchObject({
      issues: expect.arrayContaining([
        expect.objectContaining({ path: 'workspace.json: alerts[0].url' }),
        expect.objectContaining({ path: 'workspace.json: alerts[0].format' }),
        expect.objectContaining({ path: 'workspace.json: alerts[0].errorThreshold' }),
      ]),
    });
  });
});
