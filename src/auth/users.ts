/** User accounts: creation with checks, and the first admin on a fresh install. */
import { HttpError } from '../server/http-errors.ts';
import type { ConfigStore, UserRow } from '../store/sqlite/config-store.ts';
import { hashPassword, passwordProblem, randomPassword } from './passwords.ts';
import { ROLES, type Role } from './roles.ts';

export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$/;

export function usernameProblem(u: unknown): string | undefined {
  if (typeof u !== 'string' || !USERNAME.test(u)) return '2-64 letters, digits, _ . @ - (starting with a letter or digit)';
  return undefined;
}

export function roleProblem(r: unknown): string | undefined {
  return ROLES.includes(r as Role) ? undefined : `one of ${ROLES.join(', ')}`;
}

export async function createUser(
  config: ConfigStore,
  input: { username: string; password: string; role: Role; displayName?: string | null; mustChangePassword?: boolean },
  now = Date.now(),
): Promise<UserRow> {
  const issues = [
    { path: 'username', message: usernameProblem(input.username) },
    { path: 'role', message: roleProblem(input.role) },
    { path: 'password', message: passwordProblem(input.password, input.username) },
  ].filter((i): i is { path: string; message: string } => Boolean(i.message));
  if (issues.length) throw new HttpError(400, 'bad_request', 'invalid user', issues);
  if (config.findUserForLogin(input.username)) throw new HttpError(409, 'conflict', `user "${input.username}" already exists`);
  return config.insertUser({ ...input, passwordHash: await hashPassword(input.password) }, now);
}

/**
 * On a fresh install (no users), create `admin`: with QIAO_ADMIN_PASSWORD when set, else with a random one-time
 * password that the caller prints once and that must be changed at first sign-in.
 */
export async function ensureFirstAdmin(config: ConfigStore, env: Record<string, string | undefined> = process.env): Promise<{ username: string; password?: string } | undefined> {
  if (config.countUsers() > 0) return undefined;
  const username = env.QIAO_ADMIN_USER || 'admin';
  const given = env.QIAO_ADMIN_PASSWORD;
  if (given) {
    const problem = usernameProblem(username) ?? passwordProblem(given, username);
    if (problem) throw new Error(`QIAO_ADMIN_PASSWORD / QIAO_ADMIN_USER: ${problem}`);
    await createUser(config, { username, password: given, role: 'admin' });
    return { username };
  }
  let password = randomPassword();
  while (passwordProblem(password, username)) password = randomPassword();
  await createUser(config, { username, password, role: 'admin', mustChangePassword: true });
  return { username, password };
}
