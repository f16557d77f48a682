/**
 * Connectors and schemes made through the management API: validation with field paths, write-only secrets,
 * read-only workspace items, live compile into the engine, versions with diff, import/export of QEasy metadata,
 * workspace export, and the read routes the console's pages use.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningQiao } from '../../src/server/index.ts';
import { jsonDiff } from '../../src/server/json-diff.ts';
import { getToken, push, ROOT, seedOrder, seedWorkspace, tmpDir, waitFor } from '../helpers.ts';
import { adminToken, call, login, startConsoleServer, WDT_PARAMS, type Session } from './helpers.ts';

const run = promisify(execFile);
const SEED = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/seed/schemes/seed.json'), 'utf8')) as Record<string, any>;

/** The seed scheme under another id, writing through `connector`. */
const schemeBody = (id: string, connector = 'wdt-console'): Record<string, any> => ({ ...structuredClone(SEED), id, name: `copy ${id}`, target: { ...structuredClone(SEED.target), connector }, enabled: undefined });

describe('connectors through the API', () => {
  let q: RunningQiao;
  let admin: Session;
  beforeAll(async () => {
    q = await startConsoleServer();
    admin = await login(q.url);
  });
  afterAll(() => q?.close());

  it('rejects a bad connector naming each field', async () => {
    const r = await call(q.url, 'POST', '/api/connectors', admin, { name: 'bad name', platform: 'wdt', env: 'moon', params: { sid: 'x', timeout_ms: 5 } });
    expect(r.status).toBe(400);
    const paths = r.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name']));
    const r2 = await call(q.url, 'POST', '/api/connectors', admin, { name: 'ok', platform: 'wdt', env: 'moon', params: { sid: 'x', timeout_ms: 5 } });
    expect(r2.body.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['env', 'params.appkey', 'params.appsecret', 'params.timeout_ms']));
    const r3 = await call(q.url, 'POST', '/api/connectors', admin, { name: 'ok', platform: 'sap', env: 'x' });
    expect(r3.body.issues).toEqual([expect.objectContaining({ path: 'platform' })]);
  });

  it('keeps secrets write-only: never answered, kept when left out or "***", replaced when given', async () => {
    const made = await call(q.url, 'POST', '/api/connectors', admin, { name: 'wdt-console', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS, limits: { concurrency: 2 } });
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ origin: 'console', readOnly: false, secretsSet: ['appsecret'], params: { appsecret: '***', base_url: '${QIAO_URL}/sandbox/wdt/openapi2/' }, version: 1 });
    for (const path of ['/api/connectors', '/api/connectors/wdt-console', '/api/overview', '/api/logs/audit'])
      expect(JSON.stringify((await call(q.url, 'GET', path, admin)).body)).not.toContain('qiaodemo-secret');
    // Edit without the secret: kept (the test still passes).
    const edited = await call(q.url, 'PUT', '/api/connectors/wdt-console', admin, { platform: 'wdt', env: 'sandbox', params: { ...WDT_PARAMS, appsecret: '***', timeout_ms: 5000 } });
    expect(edited.body).toMatchObject({ version: 2, params: { timeout_ms: 5000 } });
    expect((await call(q.url, 'POST', '/api/connectors/wdt-console/test', admin, {})).body.ok).toBe(true);
    // A new (wrong) secret replaces it.
    await call(q.url, 'PUT', '/api/connectors/wdt-console', admin, { platform: 'wdt', env: 'sandbox', params: { ...WDT_PARAMS, appsecret: 'wrong-secret' } });
    expect((await call(q.url, 'POST', '/api/connectors/wdt-console/test', admin, {})).body.ok).toBe(false);
    await call(q.url, 'PUT', '/api/connectors/wdt-console', admin, { platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
    expect((await call(q.url, 'POST', '/api/connectors/wdt-console/test', admin, {})).body.ok).toBe(true);
  });

  it('tests a form before saving it, using the stored secret of a saved connector when the form leaves it out', async () => {
    const draft = await call(q.url, 'POST', '/api/connectors/test', admin, { name: 'draft', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
    expect(draft.body.ok).toBe(true);
    const saved = await call(q.url, 'POST', '/api/connectors/test', admin, { name: 'wdt-console', platform: 'wdt', env: 'sandbox', params: { ...WDT_PARAMS, appsecret: undefined } });
    expect(saved.body.ok).toBe(true);
    const invalid = await call(q.url, 'POST', '/api/connectors/test', admin, { name: 'draft', platform: 'wdt', env: 'sandbox', params: {} });
    expect(invalid.status).toBe(400);
  });

  it('treats workspace connectors as read-only and refuses to delete a connector in use', async () => {
    expect(await call(q.url, 'PUT', '/api/connectors/wdt-sandbox', admin, { platform: 'wdt', env: 'sandbox', params: WDT_PARAMS })).toMatchObject({ status: 409, body: { error: 'read_only' } });
    expect((await call(q.url, 'DELETE', '/api/connectors/wdt-sandbox', admin)).status).toBe(409);
    expect((await call(q.url, 'POST', '/api/connectors', admin, { name: 'wdt-sandbox', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS })).status).toBe(409);
    expect((await call(q.url, 'POST', '/api/schemes', admin, schemeBody('uses-console'))).status).toBe(200);
    const del = await call(q.url, 'DELETE', '/api/connectors/wdt-console', admin);
    expect(del).toMatchObject({ status: 409 });
    expect(del.body.message).toContain('uses-console');
    const listed = (await call(q.url, 'GET', '/api/connectors', admin)).body.connectors;
    expect(listed.find((c: { name: string }) => c.name === 'wdt-sandbox')).toMatchObject({ origin: 'workspace', readOnly: true, usedBy: ['seed'] });
  });

  it('an edited connector is used at once by the schemes that write through it', async () => {
    const id = 'live-edit';
    expect((await call(q.url, 'POST', '/api/schemes', admin, { ...schemeBody(id), enabled: true })).status).toBe(200);
    const token = await getToken(q.url);
    await push(q.url, token, [seedOrder('LIVE-1')], id);
    await waitFor(async () => (await q.store.listRecords(id, { status: 2 })).total === 1, 10_000, 'LIVE-1 done');
    // Break the connector: the next order fails with WDT's signature error …
    await call(q.url, 'PUT', '/api/connectors/wdt-console', admin, { platform: 'wdt', env: 'sandbox', params: { ...WDT_PARAMS, appsecret: 'wrong-secret' } });
    await push(q.url, token, [seedOrder('LIVE-2')], id);
    await waitFor(async () => (await q.store.listRecords(id, { status: 3 })).total === 1, 10_000, 'LIVE-2 error');
    // … fix it and re-queue: delivered.
    await call(q.url, 'PUT', '/api/connectors/wdt-console', admin, { platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
    await call(q.url, 'POST', `/api/schemes/${id}/records/requeue`, admin, { status: 'error' });
    await waitFor(async () => (await q.store.listRecords(id, { status: 2 })).total === 2, 10_000, 'LIVE-2 done');
  });
});

describe('schemes through the API', () => {
  let q: RunningQiao;
  let admin: Session;
  beforeAll(async () => {
    q = await startConsoleServer();
    admin = await login(q.url);
    await call(q.url, 'POST', '/api/connectors', admin, { name: 'wdt-console', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
  });
  afterAll(() => q?.close());

  it('validates a draft like a scheme file, with paths inside the body', async () => {
    const bad = schemeBody('x y');
    bad.target.metadata.api = 'no_such_api';
    bad.source.connector = 'nope';
    const r = await call(q.url, 'POST', '/api/schemes/validate', admin, bad);
    expect(r.body.ok).toBe(false);
    expect(r.body.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['id', 'source.connector', 'target.metadata.api']));
    const fn = schemeBody('fn');
    fn.target.metadata.request.find((p: { field: string }) => p.field === 'buyer_message').value = '_function NO_SUCH_FUNCTION({{tid}})';
    const r2 = await call(q.url, 'POST', '/api/schemes/validate', admin, fn);
    expect(r2.body.ok).toBe(false);
    expect(JSON.stringify(r2.body.issues)).toContain('NO_SUCH_FUNCTION');
    expect((await call(q.url, 'POST', '/api/schemes/validate', admin, schemeBody('fine'))).body).toMatchObject({ ok: true, issues: [] });
    // Schedules naming other schemes are checked against every scheme known now.
    const refs = schemeBody('refs');
    refs.target.schedule = { cron: '*/5 * * * *', requires: ['seed', 'no-such-scheme'] };
    const r3 = await call(q.url, 'POST', '/api/schemes/validate', admin, refs);
    expect(r3.body.issues).toEqual([{ path: 'target.schedule.requires[1]', message: 'unknown scheme "no-such-scheme"' }]);
    const created = await call(q.url, 'POST', '/api/schemes', admin, bad);
    expect(created.status).toBe(400);
    expect(created.body.issues.length).toBeGreaterThan(1);
  });

  it('creates a scheme stopped, compiled into the engine at once: pushes are taken, start delivers them', async () => {
    const r = await call(q.url, 'POST', '/api/schemes', admin, schemeBody('made'));
    expect(r.body).toMatchObject({ id: 'made', origin: 'console', readOnly: false, version: 1, enabled: false, running: false });
    const token = await getToken(q.url);
    expect((await push(q.url, token, [seedOrder('MADE-1')], 'made')).status).toBe(200);
    expect((await call(q.url, 'GET', '/api/schemes', admin)).body.schemes.find((s: { id: string }) => s.id === 'made')).toMatchObject({ origin: 'console', counts: { pending: 1 } });
    expect((await call(q.url, 'POST', '/api/schemes/made/start', admin, {})).body.running).toBe(true);
    await waitFor(async () => (await q.store.listRecords('made', { status: 2 })).total === 1, 10_000, 'MADE-1 done');
    expect((await call(q.url, 'POST', '/api/schemes', admin, schemeBody('made'))).status).toBe(409);
    expect((await call(q.url, 'POST', '/api/schemes', admin, schemeBody('seed'))).status).toBe(409);
  });

  it('saves versions with optimistic concurrency, diffs them, restores one, and keeps running across edits', async () => {
    const id = 'versioned';
    await call(q.url, 'POST', '/api/schemes', admin, { ...schemeBody(id), enabled: true });
    const v2body = schemeBody(id);
    v2body.name = '第二版';
    v2body.target.metadata.request.find((p: { field: string }) => p.field === 'buyer_message').value = '备注: {{buyer_nick}}';
    const v2 = await call(q.url, 'PUT', `/api/schemes/${id}?version=1`, admin, v2body);
    expect(v2.body).toMatchObject({ version: 2, running: true });
    const stale = await call(q.url, 'PUT', `/api/schemes/${id}?version=1`, admin, schemeBody(id));
    expect(stale).toMatchObject({ status: 409 });
    expect(stale.body.message).toContain('version 2');
    const diff = await call(q.url, 'GET', `/api/schemes/${id}/versions/2/diff`, admin);
    expect(diff.body).toMatchObject({ from: 1, to: 2 });
    expect(diff.body.changes).toEqual(
      expect.arrayContaining([
        { path: 'name', op: 'changed', before: `copy ${id}`, after: '第二版' },
        { path: 'target.metadata.request[buyer_message].value', op: 'added', after: '备注: {{buyer_nick}}' },
      ]),
    );
    // The new mapping is live.
    const token = await getToken(q.url);
    await push(q.url, token, [seedOrder('VER-1')], id);
    const rec = await waitFor(async () => (await q.store.listRecords(id, { status: 2 })).rows[0], 10_000, 'VER-1 done');
    expect(((await q.store.getRecord(id, rec.id))!.mapped as Record<string, unknown>).buyer_message).toBe('备注: 买家-VER-1');
    const restored = await call(q.url, 'POST', `/api/schemes/${id}/versions/1/restore`, admin, {});
    expect(restored.body).toMatchObject({ version: 3, scheme: { name: `copy ${id}` } });
    const versions = await call(q.url, 'GET', `/api/schemes/${id}/versions`, admin);
    expect(versions.body.versions.map((v: { version: number; note: string | null }) => [v.version, v.note])).toEqual([[3, 'restored version 1'], [2, null], [1, 'created']]);
    expect((await call(q.url, 'PUT', `/api/schemes/${id}`, admin, { ...schemeBody(id), id: 'renamed' })).status).toBe(400);
  });

  it('keeps workspace schemes read-only (start/stop still work) and refuses to delete a running scheme', async () => {
    expect(await call(q.url, 'PUT', '/api/schemes/seed', admin, schemeBody('seed'))).toMatchObject({ status: 409, body: { error: 'read_only' } });
    expect((await call(q.url, 'DELETE', '/api/schemes/seed', admin)).status).toBe(409);
    expect((await call(q.url, 'GET', '/api/schemes/seed/versions', admin)).status).toBe(409);
    expect((await call(q.url, 'GET', '/api/schemes/seed', admin)).body).toMatchObject({ origin: 'workspace', readOnly: true, version: null });
    expect((await call(q.url, 'DELETE', '/api/schemes/versioned', admin)).status).toBe(409);
    await call(q.url, 'POST', '/api/schemes/versioned/stop', admin, {});
    expect((await call(q.url, 'DELETE', '/api/schemes/versioned', admin)).status).toBe(200);
    expect((await call(q.url, 'GET', '/api/schemes/versioned', admin)).status).toBe(404);
  });

  it('exports the scheme file and each side’s QEasy metadata, and imports them back', async () => {
    const file = (await call(q.url, 'GET', '/api/schemes/made/export', admin)).body;
    expect(file).toMatchObject({ id: 'made', source: { connector: 'callback', metadata: { api: 'OpenCallback' } }, target: { metadata: { api: 'trade_push' } } });
    const dl = await call(q.url, 'GET', '/api/schemes/made/export?download=true', admin);
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="made.json"');
    const target = (await call(q.url, 'GET', '/api/schemes/made/export?side=target', admin)).body;
    const source = (await call(q.url, 'GET', '/api/schemes/made/export?side=source', admin)).body;
    expect(target.api).toBe('trade_push');
    // A QEasy pair: bare metadata per side, connectors chosen on import.
    const bare = await call(q.url, 'POST', '/api/schemes/import', admin, { id: 'imported', name: '导入的方案', source, target });
    expect(bare.status).toBe(400);
    expect(bare.body.issues[0].path).toBe('source');
    const ok = await call(q.url, 'POST', '/api/schemes/import?sourceConnector=callback&targetConnector=wdt-console', admin, { id: 'imported', name: '导入的方案', source, target });
    expect(ok.body).toMatchObject({ id: 'imported', version: 1, scheme: { target: { connector: 'wdt-console' } } });
    const again = await call(q.url, 'POST', '/api/schemes/import?replace=true', admin, { ...file, id: 'imported', name: '再次导入' });
    expect(again.body).toMatchObject({ version: 2, scheme: { name: '再次导入' } });
    // QEasy's flat `parent` form is accepted too.
    const flat = structuredClone(file);
    flat.id = 'flat';
    const lines = flat.source.metadata.request.find((p: { field: string }) => p.field === 'order_list');
    const children = lines.children;
    delete lines.children;
    flat.source.metadata.request.push(...children.map((c: Record<string, unknown>) => ({ ...c, parent: 'order_list' })));
    expect((await call(q.url, 'POST', '/api/schemes/import', admin, flat)).status).toBe(200);
  });

  it('previews a draft (nothing is sent) and reports per-record problems', async () => {
    const before = (await (await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/stats`)).json()) as unknown;
    const good = seedOrder('PRE-1');
    const bad = { ...seedOrder('PRE-2'), tid: undefined };
    const r = await call(q.url, 'POST', '/api/schemes/preview', admin, { scheme: schemeBody('draft'), samples: [good, bad] });
    expect(r.status).toBe(200);
    expect(r.body.calls).toHaveLength(1);
    expect(r.body.calls[0].items[0].tid).toBe('PRE-1');
    expect(r.body.errors).toEqual([expect.objectContaining({ index: 1, issues: [expect.objectContaining({ path: 'tid' })] })]);
    expect(await (await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/stats`)).json()).toEqual(before);
    const broken = schemeBody('draft');
    broken.target.metadata.request[0].value = '{{unclosed';
    expect((await call(q.url, 'POST', '/api/schemes/preview', admin, { scheme: broken, samples: [good] })).status).toBe(400);
    expect((await call(q.url, 'POST', '/api/schemes/preview', admin, { scheme: broken, samples: [] })).body.issues[0].path).toBe('samples');
  });

  it('infers source fields from a sample and suggests mappings', async () => {
    const inferred = await call(q.url, 'POST', '/api/mapping/infer', admin, { sample: { content: [seedOrder('INF-1')] } });
    expect(inferred.body.fields.map((f: { field: string }) => f.field)).toEqual(expect.arrayContaining(['tid', 'order_list']));
    const spec = (await call(q.url, 'GET', '/api/platforms/wdt/apis/trade_push', admin)).body;
    const sug = await call(q.url, 'POST', '/api/mapping/suggest', admin, { target: spec.request, source: inferred.body.fields });
    expect(sug.body.suggestions).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'tid', source: 'tid' })]));
    expect((await call(q.url, 'POST', '/api/mapping/infer', admin, { sample: 42 })).status).toBe(400);
  });

  it('gives push help for an OpenCallback scheme: URL, example body from its fields, curl lines', async () => {
    const h = await call(q.url, 'GET', '/api/schemes/made/push-help', admin);
    expect(h.body).toMatchObject({ push: true, url: `${q.url}/v2/open-api/business/made/store`, appKey: 'qiao-demo' });
    expect(h.body.example.content[0]).toMatchObject({ tid: 'tid-001', post_amount: '10.00', order_list: [expect.objectContaining({ oid: 'oid-001' })] });
    expect(h.body.curl.push).toContain(`curl -s -X POST '${q.url}/v2/open-api/business/made/store?access_token=ACCESS_TOKEN'`);
    // The example body passes the scheme's own source validation.
    const token = await getToken(q.url);
    expect((await push(q.url, token, h.body.example.content, 'made')).body.accepted).toBe(1);
  });
});

describe('records, logs and stats for the console', () => {
  let q: RunningQiao;
  let admin: Session;
  beforeAll(async () => {
    q = await startConsoleServer();
    admin = await login(q.url);
    const token = await getToken(q.url);
    await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trade_push: { rejectTids: ['LOG-BAD'] } }) });
    await push(q.url, token, [seedOrder('LOG-1'), seedOrder('LOG-2'), { ...seedOrder('LOG-BAD'), buyer_nick: '特别的客户' }]);
    await waitFor(async () => (await q.store.countByStatus('seed')).done === 2 && (await q.store.countByStatus('seed')).error === 1, 10_000, 'settled');
  });
  afterAll(() => q?.close());

  it('searches records by status, key, text in content or error, and time', async () => {
    const s = (qs: string) => call(q.url, 'GET', `/api/schemes/seed/records/search?${qs}`, admin).then((r) => r.body);
    expect((await s('status=error')).rows.map((r: { sourceId: string }) => r.sourceId)).toEqual(['LOG-BAD']);
    expect((await s('status=done,error')).total).toBe(3);
    expect((await s('key=LOG-')).total).toBe(3);
    expect((await s('key=LOG-2')).rows[0].sourceId).toBe('LOG-2');
    expect((await s('text=特别的客户')).rows[0].sourceId).toBe('LOG-BAD');
    expect((await s('text=rejectTids')).rows[0].sourceId).toBe('LOG-BAD');
    expect((await s(`from=${Date.now() + 60_000}`)).total).toBe(0);
    expect((await s('limit=1&offset=1')).rows).toHaveLength(1);
    const bad = await call(q.url, 'GET', '/api/schemes/seed/records/search?status=lost&limit=0', admin);
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(['querystring.limit']);
    expect((await call(q.url, 'GET', '/api/schemes/seed/records/search?status=lost', admin)).body.issues[0].path).toBe('status');
  });

  it('lists calls and errors across schemes, with a call’s masked request', async () => {
    const calls = (await call(q.url, 'GET', '/api/logs/calls?outcome=business_error', admin)).body;
    expect(calls.total).toBeGreaterThan(0);
    expect(calls.rows[0]).toMatchObject({ schemeId: 'seed', api: 'trade_push', outcome: 'business_error' });
    const one = (await call(q.url, 'GET', `/api/logs/calls/${calls.rows[0].id}`, admin)).body;
    expect(one.request.sign).toBe('***');
    expect(JSON.stringify(one)).not.toContain('qiaodemo-secret');
    const events = (await call(q.url, 'GET', '/api/logs/events?kind=error', admin)).body;
    expect(events.rows[0]).toMatchObject({ kind: 'error', schemeId: 'seed', sourceId: 'LOG-BAD' });
  });

  it('counts intake, done, errors and calls per minute, and gives an overview', async () => {
    const series = (await call(q.url, 'GET', '/api/stats/series?minutes=10', admin)).body;
    const sum = (k: string) => series.points.reduce((n: number, p: Record<string, number>) => n + p[k]!, 0);
    expect(series.points).toHaveLength(10);
    expect(sum('intake')).toBe(3);
    expect(sum('done')).toBe(2);
    expect(sum('error')).toBe(1);
    expect(sum('callsOk') + sum('callsFailed')).toBeGreaterThan(0);
    const overview = (await call(q.url, 'GET', '/api/overview', admin)).body;
    expect(overview.schemes[0]).toMatchObject({ id: 'seed', origin: 'workspace', backlog: 0, counts: { done: 2, error: 1 } });
    expect(overview.connectors.find((c: { name: string }) => c.name === 'wdt-sandbox')).toMatchObject({ target: true, breakerState: 0 });
  });

  it('brings scheduled retries forward (retry now) and records who did it', async () => {
    await fetch(`${q.url}/sandbox/wdt/openapi2/_sim/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trade_push: { http500Rate: 1, times: 1 } }) });
    await push(q.url, await getToken(q.url), [seedOrder('LOG-RETRY')]);
    const rec = await waitFor(async () => (await q.console.queries.searchRecords('seed', { key: 'LOG-RETRY', limit: 1, offset: 0 })).rows.find((r) => r.status === 0 && r.attempts === 1), 10_000, 'waiting retry');
    expect(rec.dueAt! - Date.now()).toBeGreaterThan(5_000);
    expect((await call(q.url, 'POST', '/api/schemes/seed/records/retry-now', admin, {})).body.retried).toBe(1);
    await waitFor(async () => (await q.store.getRecord('seed', rec.id))?.status === 2, 10_000, 'LOG-RETRY done');
    expect(JSON.stringify((await q.store.getRecord('seed', rec.id))!.history)).toContain('retry brought forward by user:admin');
  });

  it('keeps an audit trail of console changes', async () => {
    await call(q.url, 'POST', '/api/schemes/seed/stop', admin, {});
    await call(q.url, 'POST', '/api/connectors', admin, { name: 'audited', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
    const audit = (await call(q.url, 'GET', '/api/logs/audit?action=connector.', admin)).body;
    expect(audit.rows[0]).toMatchObject({ actor: 'user:admin', action: 'connector.create', target: 'audited' });
  });
});

describe('workspace export', () => {
  it('writes workspace files and console definitions as one folder that loads again, secrets as ${VAR}', async () => {
    const dataDir = tmpDir('qiao-export-');
    const ws = seedWorkspace();
    const q = await startConsoleServer({ workspace: ws, dataDir });
    const admin = await login(q.url);
    await call(q.url, 'POST', '/api/connectors', admin, { name: 'wdt-console', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
    await call(q.url, 'POST', '/api/schemes', admin, { ...schemeBody('exported'), enabled: true });
    const app = (await call(q.url, 'POST', '/api/apps', admin, { name: 'erp', scopes: ['push'] })).body;
    const viaApi = (await call(q.url, 'GET', '/api/workspace/export', await adminToken(q.url))).body;
    expect(Object.keys(viaApi.files).sort()).toEqual(
      ['apps/demo.json', `apps/${app.app_key}.json`, 'connectors/callback.json', 'connectors/wdt-console.json', 'connectors/wdt-sandbox.json', 'schemes/exported.json', 'schemes/seed.json', 'workspace.json'].sort(),
    );
    await q.close();

    // Offline, with the server stopped: `qiao workspace export DIR --data … --workspace …`.
    const out = path.join(tmpDir('qiao-export-out-'), 'ws');
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), 'workspace', 'export', out, '--data', dataDir, '--workspace', ws], { cwd: ROOT });
    expect(stdout).toContain('wrote 8 file(s)');
    expect(stdout).toContain('QIAO_WDT_CONSOLE_APPSECRET');
    const conn = JSON.parse(fs.readFileSync(path.join(out, 'connectors/wdt-console.json'), 'utf8'));
    expect(conn.params).toMatchObject({ appsecret: '${QIAO_WDT_CONSOLE_APPSECRET}', base_url: '${QIAO_URL}/sandbox/wdt/openapi2/' });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'schemes/exported.json'), 'utf8'))).toMatchObject({ id: 'exported', enabled: true });
    expect(fs.readFileSync(path.join(out, 'secrets.env.example'), 'utf8')).toContain('QIAO_WDT_CONSOLE_APPSECRET=');
    for (const f of fs.readdirSync(out, { recursive: true }) as string[]) {
      const p = path.join(out, f);
      if (fs.statSync(p).isFile()) {
        expect(fs.readFileSync(p, 'utf8')).not.toContain('qiaodemo-secret-console');
        expect(fs.readFileSync(p, 'utf8')).not.toContain(app.app_secret);
      }
    }
    // The exported folder is a valid workspace again (given its secrets).
    const check = await run(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), 'workspace', 'check', out], {
      cwd: ROOT,
      env: { ...process.env, QIAO_WDT_CONSOLE_APPSECRET: 'x', [`QIAO_${app.app_key.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_SECRET`]: 'long-enough-secret' },
    });
    expect(check.stdout).toContain('is valid: 2 scheme(s), 3 connector(s), 2 app(s)');
    await expect(run(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), 'workspace', 'export', out, '--data', dataDir, '--workspace', ws], { cwd: ROOT })).rejects.toThrow(/not empty/);
  });
});

describe('jsonDiff (unit)', () => {
  it('matches parameter lists by field and other lists by position', () => {
    const a = { request: [{ field: 'a', value: 1 }, { field: 'b' }], list: [1, 2] };
    const b = { request: [{ field: 'x' }, { field: 'a', value: 2 }, { field: 'b' }], list: [1] };
    expect(jsonDiff(a, b)).toEqual([
      { path: 'request[a].value', op: 'changed', before: 1, after: 2 },
      { path: 'request[x]', op: 'added', after: { field: 'x' } },
      { path: 'list[1]', op: 'removed', before: 2 },
    ]);
    expect(jsonDiff({ x: 1 }, { x: 1 })).toEqual([]);
  });
});

describe('records of a console scheme survive a restart, and so does the scheme', () => {
  it('compiles stored console schemes at start and keeps their started state', async () => {
    const dataDir = tmpDir('qiao-restart-');
    const ws = seedWorkspace();
    let q = await startConsoleServer({ workspace: ws, dataDir });
    let admin = await login(q.url);
    await call(q.url, 'POST', '/api/connectors', admin, { name: 'wdt-console', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS });
    await call(q.url, 'POST', '/api/schemes', admin, schemeBody('durable'));
    await call(q.url, 'POST', '/api/schemes/durable/start', admin, {});
    await q.close();
    q = await startConsoleServer({ workspace: ws, dataDir });
    try {
      admin = await login(q.url);
      expect((await call(q.url, 'GET', '/api/schemes/durable', admin)).body).toMatchObject({ origin: 'console', running: true, version: 1 });
      await push(q.url, await getToken(q.url), [seedOrder('DUR-1')], 'durable');
      await waitFor(async () => (await q.store.listRecords('durable', { status: 2 })).total === 1, 10_000, 'DUR-1 done');
    } finally {
      await q.close();
    }
  });
});
