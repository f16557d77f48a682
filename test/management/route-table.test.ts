/**
 * Every management route requires a console session or an admin app token — proven by walking the server's own
 * route table, so a route added later without protection fails here. Roles are walked the same way: a viewer may
 * only read (and dry-run), an operator may also run things, everything else is admin-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requiredRole, roleAllows, type Role } from '../../src/auth/roles.ts';
import type { RunningQiao } from '../../src/server/index.ts';
import { getToken } from '../helpers.ts';
import { addUser, adminToken, call, login, startConsoleServer, type Session } from './helpers.ts';

/** Reachable without a session: signing in, and QEasy's older push path (it takes a push token). */
const PUBLIC = new Set(['POST /api/auth/login', 'POST /api/open/operation/:schemeId']);
/** Not walked with a live session: it would end the session the walk uses (tested in auth.test.ts). */
const SESSION_ENDING = new Set(['POST /api/auth/logout']);

/** Placeholder values that name nothing, so a walk that gets past authorization changes nothing. */
function concrete(url: string): string {
  return url
    .replace(/:version\b/g, '1')
    .replace(/:id\b/g, '999999')
    .replace(/:recordId\b/g, '999999')
    .replace(/:[A-Za-z]+/g, 'no-such-thing')
    .replace(/\*$/, 'x');
}

describe('authorization over the whole route table', () => {
  let q: RunningQiao;
  let routes: Array<{ method: string; url: string }>;
  let viewer: Session;
  let operator: Session;

  beforeAll(async () => {
    q = await startConsoleServer({ tweaks: { apps: { pusher: { app_key: 'push-only', app_secret: 'push-only-secret', scopes: ['push'] } } } });
    routes = q.app.routeTable.filter((r) => r.url.startsWith('/api/'));
    viewer = await addUser(q, 'vera', 'viewer');
    operator = await addUser(q, 'otto', 'operator');
  });
  afterAll(() => q?.close());

  it('knows the management routes (the walk is not empty)', () => {
    expect(routes.length).toBeGreaterThan(40);
    for (const r of ['GET /api/schemes', 'POST /api/connectors', 'PUT /api/schemes/:schemeId', 'GET /api/docs', 'POST /api/keys/rotate', 'DELETE /api/users/:id'])
      expect(routes.map((x) => `${x.method} ${x.url}`)).toContain(r);
  });

  it('answers 401 to every management route without credentials, with a forged cookie, or a forged token', async () => {
    const open: string[] = [];
    for (const r of routes) {
      const key = `${r.method} ${r.url}`;
      if (PUBLIC.has(key)) continue;
      const path = concrete(r.url);
      const body = r.method === 'GET' ? undefined : {};
      const none = await call(q.url, r.method, path, null, body);
      const forgedCookie = await call(q.url, r.method, path, null, body, { cookie: 'qiao_session=forged-value', 'x-csrf-token': 'x' });
      const forgedToken = await call(q.url, r.method, path, { token: 'eyJhcHAiOiJxaWFvLWRlbW8ifQ.forged' }, body);
      for (const [what, a] of [['none', none], ['cookie', forgedCookie], ['token', forgedToken]] as const)
        if (a.status !== 401 || a.body?.error !== 'unauthorized') open.push(`${key} (${what}) → ${a.status}`);
    }
    expect(open).toEqual([]);
  });

  it('answers 403 to an app token without the admin scope', async () => {
    const token = await getToken(q.url, { app_key: 'push-only', app_secret: 'push-only-secret' });
    const wrong: string[] = [];
    for (const r of routes) {
      if (PUBLIC.has(`${r.method} ${r.url}`)) continue;
      const a = await call(q.url, r.method, concrete(r.url), { token }, r.method === 'GET' ? undefined : {});
      if (a.status !== 403) wrong.push(`${r.method} ${r.url} → ${a.status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lets viewers read, operators run, and only admins change definitions, users, apps and keys', async () => {
    const wrong: string[] = [];
    for (const [role, session] of [['viewer', viewer], ['operator', operator]] as Array<[Role, Session]>) {
      for (const r of routes) {
        const key = `${r.method} ${r.url}`;
        if (PUBLIC.has(key) || SESSION_ENDING.has(key)) continue;
        const route = q.app.routeTable.find((x) => x.method === r.method && x.url === r.url)!;
        const a = await call(q.url, r.method, concrete(r.url), session, r.method === 'GET' ? undefined : {});
        const need = requiredRole(route.method, route.url, route.role as Role | undefined);
        const allowed = roleAllows(role, need);
        const refused = a.status === 403 && a.body?.error === 'forbidden';
        if (allowed === refused) wrong.push(`${role} ${key}: needs ${need}, got ${a.status} ${a.body?.error ?? ''}`);
        if (a.status === 401) wrong.push(`${role} ${key}: 401`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('admits an admin app token and an admin session everywhere', async () => {
    const token = await adminToken(q.url);
    const admin = await login(q.url);
    const wrong: string[] = [];
    for (const r of routes.filter((x) => x.method === 'GET')) {
      for (const auth of [token, admin]) {
        const a = await call(q.url, r.method, concrete(r.url), auth);
        if (a.status === 401 || a.status === 403) wrong.push(`${r.method} ${r.url} → ${a.status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a state change made with the session cookie but without the CSRF token, or from another site', async () => {
    const admin = await login(q.url);
    const noToken = await call(q.url, 'POST', '/api/schemes/seed/stop', null, {}, { cookie: admin.cookie });
    expect(noToken).toMatchObject({ status: 403, body: { error: 'csrf' } });
    const wrongToken = await call(q.url, 'POST', '/api/schemes/seed/stop', null, {}, { cookie: admin.cookie, 'x-csrf-token': 'guess' });
    expect(wrongToken).toMatchObject({ status: 403, body: { error: 'csrf' } });
    const crossSite = await call(q.url, 'POST', '/api/schemes/seed/stop', admin, {}, { origin: 'https://evil.example' });
    expect(crossSite).toMatchObject({ status: 403, body: { error: 'csrf' } });
    expect(q.dispatcher.isActive('seed')).toBe(true);
  });
});
