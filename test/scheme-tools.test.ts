/**
 * The user's scheme tools: infer fields from a sample, merge them into a scheme file, and preview (dry run) the
 * exact target calls, from the CLI and from the management API.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningQiao } from '../src/server/index.ts';
import { getToken, ROOT, seedOrder, seedWorkspace, startServer, tmpDir } from './helpers.ts';

const qiao = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

describe('qiao scheme infer', () => {
  it('prints QEasy-style field definitions from a push body', () => {
    const r = qiao('scheme', 'infer', 'examples/seed/sample-order.json');
    expect(r.status).toBe(0);
    const fields = JSON.parse(r.stdout);
    const tid = fields.find((f: { field: string }) => f.field === 'tid');
    expect(tid).toMatchObject({ label: 'tid', describe: '_autoFillResponse' });
    const lines = fields.find((f: { field: string }) => f.field === 'order_list');
    expect(lines.type).toBe('array');
    expect(lines.children.map((c: { field: string }) => c.field)).toContain('order_list.oid');
  });

  it('--into merges new fields into a scheme side and keeps what a person wrote', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'scheme.json');
    fs.copyFileSync(path.join(ROOT, 'examples/seed/schemes/seed.json'), file);
    const sample = path.join(dir, 'sample.json');
    fs.writeFileSync(sample, JSON.stringify({ ...seedOrder('X'), coupon_code: 'NEW-FIELD', zip: '310000' }));
    const r = qiao('scheme', 'infer', sample, '--into', file, '--side', 'source');
    expect(r.status).toBe(0);
    const def = JSON.parse(fs.readFileSync(file, 'utf8'));
    const req = def.source.metadata.request;
    expect(req.find((f: { field: string }) => f.field === 'coupon_code')).toMatchObject({ describe: '_autoFillResponse' });
    expect(req.find((f: { field: string }) => f.field === 'tid')).toMatchObject({ label: '原始单号', is_required: true });
    // Target fields without a rule get suggestions from the new source fields.
    expect(r.stdout).toMatch(/mapping suggestions/);
    expect(r.stdout).toMatch(/receiver_zip\s+← \{\{zip\}\}/);
  });
});

describe('preview (dry run)', () => {
  it('qiao scheme preview prints the trade_push calls, batched by shop, and lists errors with exit 1', () => {
    const dir = tmpDir();
    const sample = path.join(dir, 'samples.json');
    const bad = seedOrder('P-BAD');
    delete bad.buyer_nick;
    fs.writeFileSync(sample, JSON.stringify({ content: [seedOrder('P-1', 'api_test'), seedOrder('P-2', 'other_shop'), seedOrder('P-3', 'api_test'), bad] }));
    const r = qiao('scheme', 'preview', 'seed', sample);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.calls.map((c: { call: { shop_no: string }; recordIds: string[] }) => [c.call.shop_no, c.recordIds])).toEqual([
      ['api_test', ['P-1', 'P-3']],
      ['other_shop', ['P-2']],
    ]);
    expect(out.errors[0]).toMatchObject({ index: 3, id: 'P-BAD' });
    expect(out.errors[0].issues[0].path).toBe('buyer_nick');
  });

  let q: RunningQiao;
  let token: string;
  beforeAll(async () => {
    q = await startServer(seedWorkspace());
    token = await getToken(q.url);
  });
  afterAll(async () => {
    await q?.close();
  });

  it('POST /api/schemes/{id}/preview answers the same, and 400 without samples', async () => {
    const post = (body: unknown) =>
      fetch(`${q.url}/api/schemes/seed/preview`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r = await post({ samples: [seedOrder('API-1')] });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { calls: Array<{ items: Array<{ tid: string; order_list: unknown[] }> }> };
    expect(body.calls[0].items[0].tid).toBe('API-1');
    expect(body.calls[0].items[0].order_list).toHaveLength(2);
    expect((await post({})).status).toBe(400);
  });
});
