/** Management-API test helpers: a server with a known admin, console sign-in, and a small HTTP client. */
import { createUser } from '../../src/auth/users.ts';
import type { Role } from '../../src/auth/roles.ts';
import type { RunningQiao, ServeOptions } from '../../src/server/index.ts';
import { getToken, seedWorkspace, startServer, tmpDir, type WorkspaceTweaks } from '../helpers.ts';

export const ADMIN = { username: 'admin', password: 'correct-horse-battery-9' };

export async function startConsoleServer(o: { tweaks?: WorkspaceTweaks; dataDir?: string; workspace?: string; extra?: Partial<ServeOptions>; env?: Record<string, string | undefined> } = {}): Promise<RunningQiao> {
  const env = { ...process.env, QIAO_ADMIN_PASSWORD: ADMIN.password, QIAO_MASTER_KEY: undefined, ...o.env };
  return startServer(o.workspace ?? seedWorkspace(o.tweaks), o.dataDir ?? tmpDir('qiao-mgmt-'), { env, dispatcher: { idleMs: 100 }, ...o.extra });
}

export interface Session {
  cookie: string;
  csrf: string;
}

export async function login(url: string, username = ADMIN.username, password = ADMIN.password): Promise<Session> {
  const r = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { csrfToken: string };
  return { cookie: r.headers.get('set-cookie')!.split(';')[0]!, csrf: body.csrfToken };
}

export async function addUser(q: RunningQiao, username: string, role: Role, password = 'long-enough-secret-1'): Promise<Session> {
  await createUser(q.console.configStore, { username, password, role });
  return login(q.url, username, password);
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** A request as the console sends it (cookie + CSRF token), or with a bearer token, or with nothing. */
export async function call(url: string, method: string, path: string, auth?: Session | { token: string } | null, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  if (auth && 'cookie' in auth) {
    h.cookie = auth.cookie;
    if (method !== 'GET') h['x-csrf-token'] = auth.csrf;
  }
  if (auth && 'token' in auth) h.authorization = `Bearer ${auth.token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const r = await fetch(`${url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, body: parsed, headers: r.headers };
}

export const adminToken = (url: string) => getToken(url).then((token) => ({ token }));

export const WDT_PARAMS = { sid: 'qiaodemo', appkey: 'qiaodemo-test', appsecret: 'qiaodemo-secret', base_url: '${QIAO_URL}/sandbox/wdt/openapi2/' };
