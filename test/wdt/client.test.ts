import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.ts';
import { WdtClient, WDT_DEMO_ACCOUNT, encodeBusinessParams, type WdtSandboxHandle } from '../../src/connectors/wdt/index.ts';
import { client, json, sandbox, trade } from './helpers.ts';

let sb: WdtSandboxHandle;
let c: WdtClient;
const SECRET = WDT_DEMO_ACCOUNT.appsecret;
const push = (cl: WdtClient, ...tids: string[]) => cl.write('trade_push', { shop_no: 'api_test' }, tids.map((t) => trade(t)));
const faults = (cfg: unknown) => json(sb, '_sim/faults', { method: 'PUT', body: cfg });

async function transient(p: Promise<unknown>): Promise<TransientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TransientError);
    return err as TransientError;
  }
  throw new Error('expected a TransientError');
}

beforeAll(async () => {
  sb = await sandbox();
  c = client(sb);
});
afterAll(async () => {
  await c.close();
  await sb.close();
});
beforeEach(async () => {
  sb.state.reset();
  await json(sb, '_sim/faults', { method: 'DELETE' });
});

describe('encodeBusinessParams (as the official SDK sends them)', () => {
  it('drops empty values, stringifies numbers, sends objects/arrays as one unescaped JSON string', () => {
    expect(
      encodeBusinessParams({ a: null, b: undefined, c: '', d: [], e: {}, f: 0, g: 1.5, h: true, i: [{ n: '张三' }], j: { k: 'v' }, l: 'x' }),
    ).toEqual({ f: '0', g: '1.5', h: '1', i: '[{"n":"张三"}]', j: '{"k":"v"}', l: 'x' });
  });
});

describe('error classification', () => {
  it('a hanging request becomes a TransientError after timeout_ms', async () => {
    await faults({ trade_push: { hangRate: 1 } });
    const fast = client(sb, { timeoutMs: 300 });
    try {
      const t0 = Date.now();
      const err = await transient(push(fast, 'H1'));
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(err.message).toMatch(/timeout after 300 ms/);
      expect(err.rateLimited).toBe(false);
      expect((err.trace as any).error).toMatch(/timeout/);
    } finally {
      await fast.close();
    }
  });

  it('HTTP 500 and 502 are TransientError with the status in the trace', async () => {
    await faults({ trade_push: { http500Rate: 1 } });
    const e500 = await transient(push(c, 'S1'));
    expect((e500.trace as any).status).toBe(500);
    await faults({ '*': { http502Rate: 1 } });
    const e502 = await transient(push(c, 'S2'));
    expect(e502.message).toContain('502');
    expect((await json(sb, '_sim/trades')).total).toBe(0);
  });

  it('a truncated body is a TransientError (unparsable)', async () => {
    await faults({ trade_push: { garbageRate: 1 } });
    const err = await transient(push(c, 'G1'));
    expect(err.message).toMatch(/unparsable/);
  });

  it('phase "after": the push is stored but the answer is lost; the replay is an update, not a duplicate', async () => {
    await faults({ trade_push: { garbageRate: 1, phase: 'after', times: 1 } });
    await transient(push(c, 'R1'));
    const replay = await push(c, 'R1');
    expect(replay.response).toMatchObject({ new_count: 0, chg_count: 1 });
    expect((await json(sb, '_sim/trades')).trades[0].push_count).toBe(2);
  });

  it('JSON served with a wrong Content-Type is still parsed', async () => {
    await faults({ trade_push: { wrongContentType: true } });
    const out = await push(c, 'W1');
    expect(out.ok).toBe(true);
  });

  it('a QPS limit answers the rate-limit business error → TransientError with rateLimited', async () => {
    await faults({ trade_push: { qps: 2 } });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => push(c, `Q${i}`)));
    const limited = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as TransientError);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const e of limited) {
      expect(e).toBeInstanceOf(TransientError);
      expect(e.rateLimited).toBe(true);
      expect(e.message).toContain('1030');
    }
  });

  it('an injected business error is ok:false with code and Chinese message', async () => {
    await faults({ trade_push: { errorRate: 1 } });
    const out = await push(c, 'B1');
    expect(out.ok).toBe(false);
    expect(out.code).toBe(1099);
    expect(out.message).toContain('模拟业务错误');
    expect(out.trace.status).toBe(200);
  });

  it('1020 请勿重复操作 is transient by default (not a rate limit)', async () => {
    await faults({ trade_push: { errorRate: 1, errorCode: 1020, errorMessage: '请勿重复操作' } });
    const err = await transient(push(c, 'D1'));
    expect(err.rateLimited).toBe(false);
    expect(err.message).toContain('1020');
  });

  it('transient_codes are configurable, by code or by message substring', async () => {
    await faults({ trade_push: { errorRate: 1, errorCode: 4242, errorMessage: '系统维护中' } });
    expect((await push(c, 'X1')).ok).toBe(false);
    const byCode = client(sb, { transientCodes: [4242] });
    const byText = client(sb, { transientCodes: ['维护'] });
    try {
      await transient(push(byCode, 'X2'));
      await transient(push(byText, 'X3'));
    } finally {
      await byCode.close();
      await byText.close();
    }
  });

  it('`times` limits a fault: the first call fails, the retry succeeds', async () => {
    await faults({ trade_push: { http500Rate: 1, times: 1 } });
    await transient(push(c, 'T1'));
    expect((await push(c, 'T1')).ok).toBe(true);
    expect((await json(sb, '_sim/faults')).trade_push.times).toBe(0);
  });

  it('latency is added to the call', async () => {
    await faults({ trade_push: { latencyMs: 150 } });
    const out = await push(c, 'L1');
    expect(out.trace.durationMs).toBeGreaterThanOrEqual(140);
  });

  it('connection refused is a TransientError', async () => {
    const dead = new WdtClient({ baseUrl: 'http://127.0.0.1:1/openapi2/', sid: 's', appkey: 'k', appsecret: 'secret-xyz', timeoutMs: 2000 });
    try {
      const err = await transient(dead.write('trade_push', { shop_no: 'x' }, [trade('N1')]));
      expect(err.message).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await dead.close();
    }
  });

  it('an unknown API path (HTTP 404) is a PermanentError', async () => {
    await expect(c.call('no_such_api', {})).rejects.toBeInstanceOf(PermanentError);
    await expect(c.write('no_such_api', {}, [{}])).rejects.toBeInstanceOf(PermanentError);
  });

  it('a query business error throws PermanentError with the code', async () => {
    const err = await c.query('trade_query', {}).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe(2900);
  });

  it('rejects item counts the API cannot take before calling', async () => {
    await expect(c.write('purchase_order_push', {}, [{}, {}])).rejects.toThrow(/one document per call/);
    await expect(c.write('trade_push', { shop_no: 'api_test' }, [])).rejects.toThrow(/no items/);
  });
});

describe('secrets never leak', () => {
  it('sign and appsecret are masked in every trace, error and message', async () => {
    const out = await push(c, 'M1');
    expect(out.trace.request.sign).toBe('***');
    expect(JSON.stringify(out)).not.toContain(SECRET);

    // a server that echoes the secret back (here: through an injected message) is scrubbed too
    await faults({ trade_push: { errorRate: 1, errorMessage: `bad secret ${SECRET}` } });
    const bad = await push(c, 'M2');
    expect(bad.message).toBe('bad secret ***');
    expect(JSON.stringify(bad)).not.toContain(SECRET);

    await faults({ trade_push: { http500Rate: 1 } });
    const err = await transient(push(c, 'M3'));
    expect(JSON.stringify({ m: err.message, t: err.trace })).not.toContain(SECRET);
    expect((err.trace as any).request.sign).toBe('***');
  });

  it('test() proves credentials; a wrong secret fails without showing it', async () => {
    expect(await c.test()).toMatchObject({ ok: true });
    const wrong = client(sb, { appsecret: 'not-the-secret' });
    try {
      const r = await wrong.test();
      expect(r.ok).toBe(false);
      expect(r.message).toContain('签名错误');
      expect(JSON.stringify(r)).not.toContain('not-the-secret');
    } finally {
      await wrong.close();
    }
  });
});
