/**
 * The push API as a pusher sees it: every status code it can get, per-item results, and "nothing half-written".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningQiao } from '../src/server/index.ts';
import { DEMO_APP, getJson, getToken, push, seedOrder, seedWorkspace, startServer } from './helpers.ts';

let q: RunningQiao;
let token: string;
const ADMIN_ONLY = { app_key: 'ops-only', app_secret: 'ops-only-secret', scopes: ['admin'] };

beforeAll(async () => {
  // Scheme stopped: this suite is about intake; nothing is dispatched.
  const ws = seedWorkspace({ apps: { ops: ADMIN_ONLY } });
  q = await startServer(ws, undefined, { bodyLimit: 64 * 1024 });
  await q.dispatcher.stop();
  token = await getToken(q.url);
});
afterAll(async () => {
  await q?.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${q.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as Record<string, any>,
  }));

describe('POST /v2/oauth', () => {
  it('gives a 2-hour access token for a valid app', async () => {
    const r = await post('/v2/oauth', JSON.stringify(DEMO_APP));
    expect(r.status).toBe(200);
    expect(r.body.expires_in).toBe(7200);
    expect(typeof r.body.access_token).toBe('string');
  });
  it('401 for a wrong secret, without echoing it', async () => {
    const r = await post('/v2/oauth', JSON.stringify({ app_key: 'qiao-demo', app_secret: 'guess-guess' }));
    expect(r.status).toBe(401);
    expect(JSON.stringify(r.body)).not.toContain('guess-guess');
  });
  it('400 naming the missing fields', async () => {
    const r = await post('/v2/oauth', '{}');
    expect(r.status).toBe(400);
    expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual(['app_key', 'app_secret']);
  });
});

describe('POST /v2/open-api/business/{scheme}/store', () => {
  it('accepts valid records and answers per item', async () => {
    const r = await push(q.url, token, [seedOrder('OA-1'), seedOrder('OA-2')]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ code: 0, accepted: 2, rejected: 0 });
    expect(r.body.results.map((x: { status: string; id: string }) => [x.status, x.id])).toEqual([
      ['accepted', 'OA-1'],
      ['accepted', 'OA-2'],
    ]);
  });

  it('commits the valid items of a mixed push and rejects the others with field paths', async () => {
    const bad = seedOrder('OA-BAD');
    delete (bad.order_list as Record<string, unknown>[])[0].oid;
    delete bad.buyer_nick;
    const r = await push(q.url, token, [seedOrder('OA-3'), bad]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 1, rejected: 1 });
    const paths = r.body.results[1].issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(['buyer_nick', 'order_list[0].oid']);
    const records = await getJson(`${q.url}/api/schemes/seed/records?limit=100`, token);
    const ids = records.rows.map((x: { sourceId: string }) => x.sourceId);
    expect(ids).toContain('OA-3');
    expect(ids).not.toContain('OA-BAD');
  });

  it('400 and nothing stored when every record is rejected', async () => {
    const bad = seedOrder('OA-ALLBAD');
    bad.order_list = 'not a list';
    const r = await push(q.url, token, [bad]);
    expect(r.status).toBe(400);
    expect(r.body.results[0].issues[0].path).toBe('order_list');
    const records = await getJson(`${q.url}/api/schemes/seed/records?limit=1000`, token);
    expect(records.rows.map((x: { sourceId: string }) => x.sourceId)).not.toContain('OA-ALLBAD');
  });

  it('duplicate for an id already stored (idCheck true); a push with idCheck false replaces it', async () => {
    await push(q.url, token, [seedOrder('OA-DUP')]);
    const again = await push(q.url, token, [seedOrder('OA-DUP')]);
    expect(again.body.results[0].status).toBe('duplicate');
    const replaced = await fetch(`${q.url}/api/open/operation/seed?access_token=${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: [{ ...seedOrder('OA-DUP'), buyer_nick: '改过的昵称' }], idCheck: false }),
    }).then((r) => r.json() as Promise<Record<string, any>>);
    expect(replaced.results[0].status).toBe('accepted');
    const rec = await getJson(`${q.url}/api/schemes/seed/records/${replaced.results[0].recordId}`, token);
    expect(rec.content.buyer_nick).toBe('改过的昵称');
    expect(rec.history.map((h: { kind: string }) => h.kind)).toEqual(['intake', 'intake', 'replace']);
    expect(rec.history[0].data).toMatchObject({ remote: '127.0.0.1', app: 'qiao-demo' });
  });

  it('400 for malformed JSON, a missing content list, and a bad idCheck', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect((await post('/v2/open-api/business/seed/store', '{"content": [', auth)).status).toBe(400);
    const missing = await post('/v2/open-api/business/seed/store', '{"data": []}', auth);
    expect(missing.status).toBe(400);
    expect(missing.body.issues[0].path).toBe('content');
    expect((await post('/v2/open-api/business/seed/store', '{"content": []}', auth)).status).toBe(400);
    const idc = await post('/v2/open-api/business/seed/store', JSON.stringify({ content: [seedOrder('X')], idCheck: 'yes' }), auth);
    expect(idc.status).toBe(400);
    expect(idc.body.issues[0].path).toBe('idCheck');
  });

  it('401 without a token, with a forged token, and with an expired one', async () => {
    expect((await post('/v2/open-api/business/seed/store', '{"content":[{}]}')).status).toBe(401);
    const forged = `${token.split('.')[0]}.AAAA`;
    expect((await post('/v2/open-api/business/seed/store', '{"content":[{}]}', { authorization: `Bearer ${forged}` })).status).toBe(401);
    const app = q.workspace.apps.find((a) => a.app_key === 'qiao-demo')!;
    const expired = q.tokens.issue(app, Math.floor(Date.now() / 1000) - 7201).access_token;
    const r = await post('/v2/open-api/business/seed/store', '{"content":[{}]}', { authorization: `Bearer ${expired}` });
    expect(r.status).toBe(401);
    expect(r.body.message).toMatch(/expired/);
  });

  it('403 for an app without the push scope; 404 for an unknown scheme; 413 over the body limit', async () => {
    const adminToken = await getToken(q.url, ADMIN_ONLY);
    expect((await push(q.url, adminToken, [seedOrder('NOPE')])).status).toBe(403);
    expect((await push(q.url, token, [seedOrder('NOPE')], 'no-such-scheme')).status).toBe(404);
    const big = Array.from({ length: 200 }, (_, i) => seedOrder(`BIG-${i}`, 'api_test', 3));
    const r = await push(q.url, token, big);
    expect(r.status).toBe(413);
    expect(r.body.error).toBe('payload_too_large');
  });
});

describe('management API', () => {
  it('requires the admin scope', async () => {
    const r = await fetch(`${q.url}/api/schemes`);
    expect(r.status).toBe(401);
  });
  it('lists schemes with counts by status', async () => {
    const r = await getJson(`${q.url}/api/schemes`, token);
    expect(r.schemes[0]).toMatchObject({ id: 'seed', source: { api: 'OpenCallback' }, target: { api: 'trade_push' } });
    expect(r.schemes[0].counts.pending).toBeGreaterThan(0);
  });
  it('400 for a bad status filter, 404 for an unknown record', async () => {
    const bad = await fetch(`${q.url}/api/schemes/seed/records?status=shipped`, { headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: Array<{ path: string }> }).issues[0].path).toBe('status');
    const missing = await fetch(`${q.url}/api/schemes/seed/records/999999`, { headers: { authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);
  });
});
