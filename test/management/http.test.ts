/**
 * What every answer carries (security headers, a CSP the console satisfies, no caching of management data), the
 * console's static files, error answers without stack traces, body limits, and the OpenAPI document.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/server/routes/console-static.ts';
import type { RunningQiao } from '../../src/server/index.ts';
import { ensureConsoleBuilt } from '../console/browser.ts';
import { tmpDir } from '../helpers.ts';
import { call, login, startConsoleServer, type Session } from './helpers.ts';

function rawGet(url: string, pathname: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: u.hostname, port: u.port, path: pathname }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
}

describe('HTTP surface', () => {
  let q: RunningQiao;
  let admin: Session;
  beforeAll(async () => {
    ensureConsoleBuilt();
    q = await startConsoleServer();
    admin = await login(q.url);
  });
  afterAll(() => q?.close());

  it('serves the console at / with a CSP that allows only this origin’s scripts, and the usual security headers', async () => {
    const r = await fetch(`${q.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe/);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const html = await r.text();
    // The build has no inline script the CSP would block.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${q.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toContain('javascript');
    const etag = js.headers.get('etag')!;
    expect((await fetch(`${q.url}${asset}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('never lets a path leave the console folder', async () => {
    for (const p of ['/assets/../../package.json', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/nope.js']) {
      const r = await rawGet(q.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('"name": "qiao"');
    }
  });

  it('marks management answers no-store and puts the headers on API answers too', async () => {
    const r = await call(q.url, 'GET', '/api/schemes', admin);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const unauth = await call(q.url, 'GET', '/api/schemes');
    expect(unauth.headers.get('cache-control')).toBe('no-store');
  });

  it('answers errors as {code, error, message} without stack traces', async () => {
    const malformed = await fetch(`${q.url}/api/connectors`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' }, body: '{"name": ' });
    const body = (await malformed.json()) as Record<string, unknown>;
    expect(malformed.status).toBe(400);
    expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message']);
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/);
    const missing = await call(q.url, 'GET', '/api/no-such-route', admin);
    expect(missing).toMatchObject({ status: 404, body: { code: 404, error: 'not_found' } });
    const badParam = await call(q.url, 'GET', '/api/logs/calls/abc', admin);
    expect(badParam).toMatchObject({ status: 400, body: { error: 'bad_request', issues: [{ path: 'params.id' }] } });
  });

  it('limits management bodies (2 MB) and the sign-in body (4 KB)', async () => {
    const big = await call(q.url, 'POST', '/api/schemes/validate', admin, { blob: 'x'.repeat(2.5 * 1024 * 1024) });
    expect(big).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    const login = await call(q.url, 'POST', '/api/auth/login', null, { username: 'admin', password: 'x'.repeat(5000) });
    expect(login.status).toBe(413);
  });

  it('describes the management API as an OpenAPI document at /api/docs (signed in)', async () => {
    expect((await call(q.url, 'GET', '/api/docs')).status).toBe(401);
    const doc = (await call(q.url, 'GET', '/api/docs', admin)).body;
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.components.securitySchemes).toMatchObject({ session: { in: 'cookie', name: 'qiao_session' }, bearer: { scheme: 'bearer' } });
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, { summary?: string }>>))
      for (const [m, op] of Object.entries(ops)) {
        documented.add(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
        expect(op.summary, `${m} ${p}`).toBeTruthy();
      }
    const undocumented = q.app.routeTable
      .filter((r) => r.url.startsWith('/api/') && r.url !== '/api/docs')
      .map((r) => `${r.method} ${r.url}`)
      .filter((k) => !documented.has(k));
    expect(undocumented).toEqual([]);
    expect(doc.paths['/api/connectors'].post.requestBody.content['application/json'].schema.properties.params).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/sandbox/'))).toBe(false);
  });
});

describe('without a built console', () => {
  it('serves a page that says how to build it', async () => {
    const empty = tmpDir('qiao-noweb-');
    fs.mkdirSync(path.join(empty, 'assets'));
    const q = await startConsoleServer({ extra: { webDir: empty } });
    try {
      const r = await fetch(`${q.url}/`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('npm run build:web');
    } finally {
      await q.close();
    }
  });
});
