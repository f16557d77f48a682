/**
 * Console users and sessions: sign-in, cookies, the sign-in rate limit, the first admin's one-time password,
 * password changes, user administration rules, and OpenAPI apps whose tokens can be revoked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../src/auth/login-limiter.ts';
import { passwordProblem, randomPassword, verifyPassword } from '../../src/auth/passwords.ts';
import type { RunningQiao } from '../../src/server/index.ts';
import { getToken, push, seedOrder, seedWorkspace, startServer, tmpDir } from '../helpers.ts';
import { ADMIN, addUser, adminToken, call, login, startConsoleServer } from './helpers.ts';

describe('sign-in and sessions', () => {
  let q: RunningQiao;
  beforeAll(async () => {
    q = await startConsoleServer({ extra: { loginLimits: { windowMs: 60_000, perUser: 3, perAddress: 8 } } });
  });
  afterAll(() => q?.close());

  it('sets an httpOnly SameSite=Strict cookie and gives the CSRF token; the store keeps only a hash of the session', async () => {
    const r = await fetch(`${q.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    expect(r.status).toBe(200);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^qiao_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    const body = (await r.json()) as { user: Record<string, unknown>; csrfToken: string };
    expect(body.user).toMatchObject({ username: 'admin', role: 'admin' });
    expect(body.user).not.toHaveProperty('passwordHash');
    expect(body.csrfToken.length).toBeGreaterThan(20);
    const value = cookie.split(';')[0]!.split('=')[1]!;
    const rows = q.console.configStore.db.prepare('SELECT id FROM console_sessions').all() as Array<{ id: string }>;
    expect(rows.some((x) => x.id === value)).toBe(false);
    expect(rows.every((x) => /^[0-9a-f]{64}$/.test(x.id))).toBe(true);
    const me = await call(q.url, 'GET', '/api/auth/me', { cookie: cookie.split(';')[0]!, csrf: '' });
    expect(me.body).toMatchObject({ user: { username: 'admin' }, csrfToken: body.csrfToken });
  });

  it('answers a wrong password and an unknown user alike, and never says which', async () => {
    const wrong = await call(q.url, 'POST', '/api/auth/login', null, { username: 'admin', password: 'nope-nope-nope' });
    const unknown = await call(q.url, 'POST', '/api/auth/login', null, { username: 'ghost', password: 'nope-nope-nope' });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'wrong user name or password' } });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('rate-limits failed sign-ins per user and address with 429 and Retry-After, even for the right password', async () => {
    await addUser(q, 'mallory', 'viewer', 'the-real-secret-m');
    for (let i = 0; i < 3; i++) expect((await call(q.url, 'POST', '/api/auth/login', null, { username: 'mallory', password: `guess-${i}-guess` })).status).toBe(401);
    const blocked = await call(q.url, 'POST', '/api/auth/login', null, { username: 'mallory', password: 'the-real-secret-m' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('too_many_attempts');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user from the same address is not locked out by mallory's failures (until the address limit).
    expect((await call(q.url, 'POST', '/api/auth/login', null, ADMIN)).status).toBe(200);
  });

  it('validates the sign-in body and refuses a cross-site sign-in', async () => {
    const missing = await call(q.url, 'POST', '/api/auth/login', null, { username: 'admin' });
    expect(missing).toMatchObject({ status: 400, body: { error: 'bad_request', issues: [{ path: 'password' }] } });
    const cross = await call(q.url, 'POST', '/api/auth/login', null, ADMIN, { origin: 'https://evil.example' });
    expect(cross).toMatchObject({ status: 403, body: { error: 'csrf' } });
    const form = await fetch(`${q.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(ADMIN) });
    expect(form.status).toBe(400); // a form-encoded (cross-site) body is not a sign-in
  });

  it('signs out: the cookie is cleared and the session is gone', async () => {
    const s = await login(q.url);
    const out = await call(q.url, 'POST', '/api/auth/logout', s, {});
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await call(q.url, 'GET', '/api/schemes', s)).status).toBe(401);
  });

  it('a password change signs out the other sessions; a disabled user is signed out and cannot sign in', async () => {
    const a = await addUser(q, 'dora', 'operator', 'first-secret-of-d');
    const b = await login(q.url, 'dora', 'first-secret-of-d');
    const weak = await call(q.url, 'POST', '/api/auth/password', a, { current: 'first-secret-of-d', password: 'short' });
    expect(weak).toMatchObject({ status: 400, body: { issues: [{ path: 'password' }] } });
    const wrongCurrent = await call(q.url, 'POST', '/api/auth/password', a, { current: 'not-it-at-all', password: 'dora-second-secret' });
    expect(wrongCurrent).toMatchObject({ status: 400, body: { issues: [{ path: 'current' }] } });
    expect((await call(q.url, 'POST', '/api/auth/password', a, { current: 'first-secret-of-d', password: 'a-brand-new-secret' })).status).toBe(200);
    expect((await call(q.url, 'GET', '/api/schemes', a)).status).toBe(200);
    expect((await call(q.url, 'GET', '/api/schemes', b)).status).toBe(401);
    const admin = await login(q.url);
    const dora = q.console.configStore.findUserForLogin('dora')!;
    expect((await call(q.url, 'PUT', `/api/users/${dora.id}`, admin, { disabled: true })).status).toBe(200);
    expect((await call(q.url, 'GET', '/api/schemes', a)).status).toBe(401);
    expect((await call(q.url, 'POST', '/api/auth/login', null, { username: 'dora', password: 'a-brand-new-secret' })).status).toBe(401);
  });

  it('keeps at least one active admin and does not let an admin delete themself', async () => {
    const admin = await login(q.url);
    const me = q.console.configStore.findUserForLogin('admin')!;
    expect((await call(q.url, 'PUT', `/api/users/${me.id}`, admin, { role: 'viewer' })).status).toBe(409);
    expect((await call(q.url, 'PUT', `/api/users/${me.id}`, admin, { disabled: true })).status).toBe(409);
    expect((await call(q.url, 'DELETE', `/api/users/${me.id}`, admin)).status).toBe(409);
    const bad = await call(q.url, 'POST', '/api/users', admin, { username: 'x', password: 'long-enough-secret', role: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['role']));
    const dup = await call(q.url, 'POST', '/api/users', admin, { username: 'admin', password: 'long-enough-secret', role: 'viewer' });
    expect(dup.status).toBe(409);
  });

  it('a user with a one-time password may only change it', async () => {
    const admin = await login(q.url);
    const made = await call(q.url, 'POST', '/api/users', admin, { username: 'newbie', password: 'temporary-secret-1', role: 'operator' });
    expect(made.body.user.mustChangePassword).toBe(true);
    const s = await login(q.url, 'newbie', 'temporary-secret-1');
    expect(await call(q.url, 'GET', '/api/schemes', s)).toMatchObject({ status: 403, body: { error: 'password_change_required' } });
    expect((await call(q.url, 'GET', '/api/auth/me', s)).status).toBe(200);
    expect((await call(q.url, 'POST', '/api/auth/password', s, { current: 'temporary-secret-1', password: 'permanent-secret-2' })).status).toBe(200);
    expect((await call(q.url, 'GET', '/api/schemes', s)).status).toBe(200);
  });

  it('stores argon2id hashes, never passwords', async () => {
    const row = q.console.configStore.db.prepare("SELECT password_hash FROM console_users WHERE username = 'admin'").get() as { password_hash: string };
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(row.password_hash, ADMIN.password)).toBe(true);
  });
});

describe('OpenAPI apps made in the console; revocable tokens', () => {
  let q: RunningQiao;
  beforeAll(async () => {
    q = await startConsoleServer();
  });
  afterAll(() => q?.close());

  it('creates an app whose secret is shown once and works for pushes; revoking kills its tokens; deleting kills the app', async () => {
    const admin = await login(q.url);
    const made = await call(q.url, 'POST', '/api/apps', admin, { name: 'shop system', scopes: ['push'] });
    expect(made.status).toBe(200);
    const { app_key, app_secret } = made.body as { app_key: string; app_secret: string };
    const list = await call(q.url, 'GET', '/api/apps', admin);
    expect(JSON.stringify(list.body)).not.toContain(app_secret);
    expect(JSON.stringify(q.console.configStore.listApps())).not.toContain(app_secret);
    const token = await getToken(q.url, { app_key, app_secret });
    expect((await push(q.url, token, [seedOrder('APP-1')])).status).toBe(200);
    // A push-only app cannot manage.
    expect((await call(q.url, 'GET', '/api/schemes', { token })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(q.url, 'POST', `/api/apps/${app_key}/revoke`, admin, {})).status).toBe(200);
    expect((await push(q.url, token, [seedOrder('APP-2')])).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = await getToken(q.url, { app_key, app_secret });
    expect((await push(q.url, fresh, [seedOrder('APP-3')])).status).toBe(200);
    expect((await call(q.url, 'DELETE', `/api/apps/${app_key}`, admin)).status).toBe(200);
    expect((await push(q.url, fresh, [seedOrder('APP-4')])).status).toBe(401);
    // Workspace apps are read-only here, but their tokens can be revoked.
    expect((await call(q.url, 'DELETE', '/api/apps/qiao-demo', admin)).status).toBe(409);
  });

  it('keeps a revocation across a restart', async () => {
    const dataDir = tmpDir('qiao-revoke-');
    const ws = seedWorkspace();
    let s = await startConsoleServer({ workspace: ws, dataDir });
    const before = await adminToken(s.url);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(s.url, 'POST', '/api/apps/qiao-demo/revoke', await login(s.url), {})).status).toBe(200);
    await s.close();
    s = await startConsoleServer({ workspace: ws, dataDir });
    try {
      expect(await call(s.url, 'GET', '/api/schemes', before)).toMatchObject({ status: 401, body: { message: 'access token revoked' } });
    } finally {
      await s.close();
    }
  });
});

describe('first start of a fresh install', () => {
  it('creates admin with a printed one-time password that must be changed; later starts do not', async () => {
    const dataDir = tmpDir('qiao-first-');
    const env = { ...process.env };
    delete env.QIAO_ADMIN_PASSWORD;
    let q = await startServer(seedWorkspace(), dataDir, { env });
    const first = q.console.firstAdmin!;
    expect(first.username).toBe('admin');
    expect(passwordProblem(first.password!, 'admin')).toBeUndefined();
    const s = await login(q.url, 'admin', first.password!);
    expect((await call(q.url, 'GET', '/api/schemes', s)).body.error).toBe('password_change_required');
    await q.close();
    q = await startServer(seedWorkspace(), dataDir, { env });
    expect(q.console.firstAdmin).toBeUndefined();
    await q.close();
  });

  it('refuses a QIAO_ADMIN_PASSWORD that is too weak, with a clear message', async () => {
    await expect(startServer(seedWorkspace(), tmpDir('qiao-weak-'), { env: { ...process.env, QIAO_ADMIN_PASSWORD: 'short' } })).rejects.toThrow(/QIAO_ADMIN_PASSWORD.*at least 10/);
  });
});

describe('LoginLimiter and passwords (units)', () => {
  it('counts failures in a sliding window and forgives after it', () => {
    const l = new LoginLimiter({ windowMs: 1000, perUser: 2, perAddress: 3 });
    l.fail('1.1.1.1', 'a', 0);
    l.fail('1.1.1.1', 'a', 10);
    expect(l.retryAfter('1.1.1.1', 'a', 20)).toBe(1);
    expect(l.retryAfter('1.1.1.1', 'b', 20)).toBe(0);
    l.fail('1.1.1.1', 'b', 30);
    expect(l.retryAfter('1.1.1.1', 'c', 40)).toBe(1); // the address as a whole
    expect(l.retryAfter('2.2.2.2', 'a', 40)).toBe(0);
    expect(l.retryAfter('1.1.1.1', 'a', 1011)).toBe(0);
  });

  it('generates readable random passwords that pass the rules', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = randomPassword();
      expect(p).toMatch(/^[a-hj-km-np-zA-HJ-NP-Z2-9]{5}(-[a-hj-km-np-zA-HJ-NP-Z2-9]{5}){3}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(50);
    expect(passwordProblem('abc')).toMatch(/at least 10/);
    expect(passwordProblem('my-admin-password', 'admin')).toMatch(/user name/);
  });
});
