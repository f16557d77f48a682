/**
 * The generic HTTP/JSON connector against its simulator: every auth mode is checked exactly by the simulator,
 * JSON and form bodies, `$.code == 0` response checks, and each kind of answer becomes the engine's decision
 * (done, business error to bisect, transient, rate limited, configuration error). Secrets never reach a trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders, compileCheck, getPath, HttpClient, platform, startHttpSandbox, type AuthConfig, type HttpSandboxHandle, type HttpClientOptions,
} from '../../src/connectors/http/index.ts';
import { PermanentError, TransientError, ValidationError } from '../../src/errors.ts';

describe('response checks', () => {
  const body = { code: 0, message: '', data: { list: [{ id: 1 }, { id: 2 }], total: '2' }, ok: true, status: 'accepted' };
  it.each([
    ['$.code == 0', true],
    ['$.code != 0', false],
    ['$.data.total == 2', true],
    ['$.data.total >= 3', false],
    ['$.data.list[1].id == 2', true],
    ['$.ok == true && $.code == 0', true],
    ['$.status == "ok" || $.status == \'accepted\'', true],
    ['$.missing == null', true],
    ['!$.missing', true],
    ['$.data.list', true],
    ['$.code == 1 || $.ok && $.status == "accepted"', true],
  ])('%s → %s', (expr, want) => {
    expect(compileCheck(expr)(body)).toBe(want);
  });

  it('numeric text equals the number, as sloppy JSON APIs need', () => {
    expect(compileCheck('$.code == 0')({ code: '0' })).toBe(true);
    expect(compileCheck('$.code == "0"')({ code: 0 })).toBe(true);
    expect(compileCheck('$.code == 0')({})).toBe(false);
  });

  it('malformed checks are refused with a reason', () => {
    for (const bad of ['', '$.code ==', '== 0', '$.code = 0', '$.a && ', '$..x == 1']) expect(() => compileCheck(bad)).toThrow();
  });

  it('paths', () => {
    expect(getPath({ a: { 'b c': [5] } }, "$.a['b c'][0]")).toBe(5);
    expect(getPath({ a: 1 }, 'a')).toBe(1);
    expect(getPath({ a: 1 }, '$')).toEqual({ a: 1 });
  });
});

describe('connector params', () => {
  it('lists every problem', () => {
    const problems = platform.validateParams!({ auth: 'oauth', success: '$.code =', batch_max: 0, headers: '[1]', body: 'xml' });
    const paths = problems.map((p) => p.path).sort();
    expect(paths).toEqual(['params.auth', 'params.base_url', 'params.batch_max', 'params.body', 'params.headers', 'params.success'].sort());
    expect(platform.validateParams!({ base_url: 'https://erp.example.com/api', auth: 'hmac' }).map((p) => p.path)).toEqual(['params.hmac_secret']);
  });

  it('an API is "[METHOD] /path"; targets write, sources query', () => {
    expect(platform.resolveApi!('POST /orders', {}, 'target')).toMatchObject({ direction: 'write', batch: { param: 'items', max: 100 } });
    expect(platform.resolveApi!('/orders', { batch_max: 1 }, 'target')).toMatchObject({ direction: 'write', batch: { max: 1, single: true } });
    expect(platform.resolveApi!('GET /orders', {}, 'source')).toMatchObject({ direction: 'query' });
    expect(platform.resolveApi!('POST /orders/search', {}, 'source')).toMatchObject({ direction: 'query' });
    expect(platform.resolveApi!('GET /orders', {}, 'target')).toBeUndefined();
    expect(platform.resolveApi!('FETCH /x', {}, 'source')).toBeUndefined();
  });
});

describe('against the simulator', () => {
  let sb: HttpSandboxHandle;
  const clients: HttpClient[] = [];
  const client = (auth: AuthConfig, o: Partial<HttpClientOptions> = {}) => {
    const c = new HttpClient({ baseUrl: `${sb.url}/api`, auth, success: '$.code == 0', timeoutMs: 3000, ...o });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    sb = await startHttpSandbox({ auth: 'demo' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await sb.close();
  });

  const modes: Array<[string, AuthConfig, AuthConfig]> = [
    ['bearer', { mode: 'bearer', token: 'qiao-http-demo-token' }, { mode: 'bearer', token: 'wrong-token' }],
    ['basic', { mode: 'basic', username: 'qiao', password: 'qiao-http-demo-password' }, { mode: 'basic', username: 'qiao', password: 'nope' }],
    ['header', { mode: 'header', headerName: 'X-Api-Key', headerValue: 'qiao-http-demo-key' }, { mode: 'header', headerValue: 'bad-key' }],
    ['hmac', { mode: 'hmac', hmacSecret: 'qiao-http-demo-secret' }, { mode: 'hmac', hmacSecret: 'another-secret' }],
  ];

  it.each(modes)('%s: right credentials write, wrong ones are a configuration error; secrets are masked', async (_name, good, bad) => {
    const ok = await client(good).write('POST /orders', { source: 'wdt' }, [{ id: 'A1', qty: 1 }, { id: 'A2', qty: 2 }]);
    expect(ok.ok).toBe(true);
    expect(ok.response).toMatchObject({ code: 0, received: 2 });
    const last = sb.state.items('/api/orders').slice(-2).map((r) => r.item);
    expect(last).toEqual([{ id: 'A1', qty: 1 }, { id: 'A2', qty: 2 }]);
    const shown = JSON.stringify(ok.trace);
    for (const secret of ['qiao-http-demo-token', 'qiao-http-demo-password', 'qiao-http-demo-key', 'qiao-http-demo-secret']) expect(shown).not.toContain(secret);
    const err = await client(bad).write('POST /orders', {}, [{ id: 'B1' }]).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe(401);
    expect(JSON.stringify(err.trace)).not.toMatch(/another-secret|wrong-token|bad-key|"nope"/);
  });

  it('hmac signs the exact body: a body changed after signing is refused', async () => {
    const cfg: AuthConfig = { mode: 'hmac', hmacSecret: 'qiao-http-demo-secret' };
    const body = JSON.stringify({ items: [{ id: 'H1' }] });
    const headers = authHeaders(cfg, body, Date.now());
    const tampered = await fetch(`${sb.url}/api/orders`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: body.replace('H1', 'H2') });
    expect(tampered.status).toBe(401);
    const right = await fetch(`${sb.url}/api/orders`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    expect(right.status).toBe(200);
    const stale = authHeaders(cfg, body, Date.now() - 10 * 60_000);
    expect((await fetch(`${sb.url}/api/orders`, { method: 'POST', headers: { ...stale, 'content-type': 'application/json' }, body })).status).toBe(401);
  });

  it('form bodies: scalars as text, lists and objects as JSON text', async () => {
    const c = client({ mode: 'bearer', token: 'qiao-http-demo-token' }, { body: 'form', batchMax: 1 });
    const ok = await c.write('POST /form', { app: 'qiao' }, [{ id: 'F1', lines: [{ sku: 'S', qty: 2 }], note: '备注 & 说明' }]);
    expect(ok.ok).toBe(true);
    expect(sb.state.items('/api/form').at(-1)!.item).toEqual({ app: 'qiao', id: 'F1', lines: [{ sku: 'S', qty: 2 }], note: '备注 & 说明' });
  });

  it('batch shapes: items key, a bare list, one document per call', async () => {
    const auth: AuthConfig = { mode: 'bearer', token: 'qiao-http-demo-token' };
    await client(auth, { itemsKey: '' }).write('POST /bare', { ignored: 1 }, [{ id: 'L1' }, { id: 'L2' }]);
    expect(sb.state.items('/api/bare').map((r) => r.item)).toEqual([{ id: 'L1' }, { id: 'L2' }]);
    const err = await client(auth, { batchMax: 2 }).write('POST /x', {}, [{}, {}, {}]).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
  });

  it('answers become decisions: business error, 422 reject, 5xx and timeouts transient, 429 rate limited', async () => {
    const c = client({ mode: 'bearer', token: 'qiao-http-demo-token' });
    sb.state.setFaults({ errorRate: 1, errorCode: 40001, errorMessage: '单据已存在' });
    const biz = await c.write('POST /orders', {}, [{ id: 'E1' }]);
    expect(biz).toMatchObject({ ok: false, code: 40001, message: '单据已存在' });
    sb.state.setFaults({ rejectIds: ['R2'] });
    const rejected = await c.write('POST /orders', {}, [{ id: 'R1' }, { id: 'R2' }]);
    expect(rejected).toMatchObject({ ok: false, code: 422 });
    expect(rejected.message).toMatch(/R2/);
    sb.state.setFaults({ http500Rate: 1 });
    await expect(c.write('POST /orders', {}, [{ id: 'T1' }])).rejects.toBeInstanceOf(TransientError);
    sb.state.setFaults({ http429Rate: 1 });
    const limited = await c.write('POST /orders', {}, [{ id: 'T2' }]).catch((e) => e);
    expect(limited).toBeInstanceOf(TransientError);
    expect(limited.rateLimited).toBe(true);
    sb.state.setFaults({ latencyMs: 1500 });
    const slow = await client({ mode: 'bearer', token: 'qiao-http-demo-token' }, { timeoutMs: 300 }).write('POST /orders', {}, [{ id: 'T3' }]).catch((e) => e);
    expect(slow).toBeInstanceOf(TransientError);
    expect(slow.message).toMatch(/timeout/);
    sb.state.setFaults({});
    const notFound = await c.query('GET /data/nothing', {}).catch((e) => e);
    expect(notFound).toBeInstanceOf(PermanentError);
    expect(notFound.code).toBe(404);
  });

  it('transient and rate-limit checks on 200 answers', async () => {
    sb.state.setFaults({ errorRate: 1, errorCode: 503 });
    const c = client({ mode: 'bearer', token: 'qiao-http-demo-token' }, { transientCheck: '$.code == 503', rateLimitCheck: '$.code == 429' });
    await expect(c.write('POST /orders', {}, [{ id: 'C1' }])).rejects.toBeInstanceOf(TransientError);
    sb.state.setFaults({});
  });

  it('queries: params in the query string, rows and total found, every paging style', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({ id: `O${i + 1}`, updated_at: `2024-06-01 10:${String(i).padStart(2, '0')}:00` }));
    sb.state.setCollection('orders', rows);
    const c = client({ mode: 'bearer', token: 'qiao-http-demo-token' });
    const page2 = await c.query('GET /data/orders', { page: 2, page_size: 10 });
    expect(page2.rows.map((r: any) => r.id)).toEqual(rows.slice(10, 20).map((r) => r.id));
    expect(page2.total).toBe(25);
    const offset = await c.query('GET /data/orders', { offset: 20, limit: 10 });
    expect(offset.rows).toHaveLength(5);
    const first = await c.query('GET /data/orders', { limit: 10 });
    const next = (first.response as { next_cursor: string }).next_cursor;
    const second = await c.query('GET /data/orders', { cursor: next, limit: 10 });
    expect(second.rows.map((r: any) => r.id)).toEqual(rows.slice(10, 20).map((r) => r.id));
    const window = await c.query('GET /data/orders', { updated_from: '2024-06-01 10:05:00', updated_to: '2024-06-01 10:07:00', limit: 100 });
    expect(window.rows.map((r: any) => r.id)).toEqual(['O6', 'O7', 'O8']);
    const one = await c.query('GET /data/orders/O3', {});
    expect(one.rows).toEqual([rows[2]]);
  });
});
