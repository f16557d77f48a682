/**
 * Console sign-in and users.
 *   POST /api/auth/login      {username, password} → session cookie + {user, csrfToken}; rate limited (429)
 *   GET  /api/auth/me         the signed-in user and the session's CSRF token
 *   POST /api/auth/logout
 *   POST /api/auth/password   {current, password}: change your own password (signs out other sessions)
 *   GET/POST /api/users, PUT/DELETE /api/users/{id}   (admin)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { burnPasswordCheck, hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords.ts';
import { checkOrigin } from '../../auth/sessions.ts';
import { createUser, roleProblem } from '../../auth/users.ts';
import type { Role } from '../../auth/roles.ts';
import type { UserRow } from '../../store/sqlite/config-store.ts';
import type { ServerContext } from '../context.ts';
import type { ConsoleServices } from '../console-services.ts';
import { HttpError } from '../http-errors.ts';
import { errors, okObject, pick } from './schemas.ts';

const userSchema = okObject('a console user (never its password)', {
  id: { type: 'integer' },
  username: { type: 'string' },
  displayName: { type: ['string', 'null'] },
  role: { type: 'string', enum: ['admin', 'operator', 'viewer'] },
  disabled: { type: 'boolean' },
  mustChangePassword: { type: 'boolean' },
  lastLoginAt: { type: ['integer', 'null'] },
});

const publicUser = (u: UserRow) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role,
  disabled: u.disabled,
  mustChangePassword: u.mustChangePassword,
  createdAt: u.createdAt,
  lastLoginAt: u.lastLoginAt,
});

/** Sign-in: outside the management guard (it is how one gets a session). */
export function loginRoutes(app: FastifyInstance, s: ConsoleServices): void {
  app.post(
    '/api/auth/login',
    {
      bodyLimit: 4096,
      schema: {
        tags: ['auth'],
        summary: '登录 Sign in to the console',
        description: 'Sets an httpOnly SameSite=Strict session cookie. 5 failed attempts per user and address (20 per address) in 15 minutes → 429.',
        security: [],
        body: {
          type: 'object',
          required: ['username', 'password'],
          properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 256 } },
          additionalProperties: false,
        },
        response: { 200: okObject('signed in', { user: userSchema, csrfToken: { type: 'string' } }), ...pick(400, 401, 403), 429: { ...errors[400], description: 'too many failed attempts; see Retry-After' } },
      },
    },
    async (req, reply) => {
      checkOrigin(req);
      const { username, password } = req.body as { username: string; password: string };
      const wait = s.loginLimiter.retryAfter(req.ip, username);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new HttpError(429, 'too_many_attempts', `too many failed sign-ins; try again in ${wait} s`);
      }
      const found = s.configStore.findUserForLogin(username);
      const ok = found ? await verifyPassword(found.passwordHash, password) : (await burnPasswordCheck(password), false);
      if (!found || !ok || found.disabled) {
        s.loginLimiter.fail(req.ip, username);
        req.log.warn({ username, ip: req.ip }, 'console sign-in failed');
        throw new HttpError(401, 'unauthorized', 'wrong user name or password');
      }
      s.loginLimiter.succeed(req.ip, username);
      s.configStore.touchLogin(found.id, Date.now());
      const { csrfToken } = s.sessions.create(req, reply, found);
      s.configStore.audit(`user:${found.username}`, 'auth.login', found.username, { ip: req.ip });
      return { user: publicUser(found), csrfToken };
    },
  );
}

/** Inside the management guard. */
export function authRoutes(api: FastifyInstance, c: ServerContext, s: ConsoleServices): void {
  const userOf = (req: FastifyRequest): UserRow => {
    if (req.principal?.kind !== 'user') throw new HttpError(400, 'bad_request', 'this is for console users (you are signed in with an app token)');
    const u = s.configStore.getUser(req.principal.userId!);
    if (!u) throw new HttpError(401, 'unauthorized', 'your user no longer exists');
    return u;
  };

  api.get(
    '/api/auth/me',
    { schema: { tags: ['auth'], summary: '当前用户 The signed-in user', response: { 200: okObject('user and CSRF token', { user: userSchema, csrfToken: { type: 'string' } }), ...pick(401) } } },
    async (req) => {
      if (req.principal?.kind === 'app') return { user: { username: req.principal.name, role: 'admin', app: true }, csrfToken: null };
      return { user: publicUser(userOf(req)), csrfToken: s.sessions.csrfOf(req) };
    },
  );

  api.post(
    '/api/auth/logout',
    { config: { role: 'viewer' }, schema: { tags: ['auth'], summary: '退出 Sign out', response: { 200: okObject('signed out'), ...pick(401, 403) } } },
    async (req, reply: FastifyReply) => {
      s.sessions.destroy(req, reply);
      return { ok: true };
    },
  );

  api.post(
    '/api/auth/password',
    {
      config: { role: 'viewer' },
      bodyLimit: 4096,
      schema: {
        tags: ['auth'],
        summary: '修改密码 Change your password',
        body: {
          type: 'object',
          required: ['current', 'password'],
          properties: { current: { type: 'string', maxLength: 256 }, password: { type: 'string', maxLength: 256 } },
          additionalProperties: false,
        },
        response: { 200: okObject('changed; other sessions are signed out'), ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const u = userOf(req);
      const { current, password } = req.body as { current: string; password: string };
      if (!(await verifyPassword(s.configStore.passwordHashOf(u.id)!, current)))
        throw new HttpError(400, 'bad_request', 'the current password is wrong', [{ path: 'current', message: 'wrong password' }]);
      const problem = passwordProblem(password, u.username);
      if (problem) throw new HttpError(400, 'bad_request', `new password: ${problem}`, [{ path: 'password', message: problem }]);
      if (password === current) throw new HttpError(400, 'bad_request', 'choose a new password', [{ path: 'password', message: 'same as the current one' }]);
      s.configStore.updateUser(u.id, { passwordHash: await hashPassword(password), mustChangePassword: false }, Date.now());
      s.configStore.deleteSessionsOf(u.id, req.principal!.sessionId);
      s.configStore.audit(c.actor(req), 'auth.password', u.username, null);
      return { ok: true };
    },
  );

  // ------------------------------------------------------------- users (admin)
  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } } as const;

  api.get('/api/users', { config: { role: 'admin' }, schema: { tags: ['users'], summary: '用户列表 Users', response: { 200: okObject('users', { users: { type: 'array', items: userSchema } }), ...pick(401, 403) } } }, async () => ({
    users: s.configStore.listUsers().map(publicUser),
  }));

  api.post(
    '/api/users',
    {
      bodyLimit: 4096,
      schema: {
        tags: ['users'],
        summary: '新建用户 Create a user',
        body: {
          type: 'object',
          required: ['username', 'password', 'role'],
          properties: {
            username: { type: 'string' },
            password: { type: 'string', description: `at least 10 characters` },
            role: { type: 'string', enum: ['admin', 'operator', 'viewer'] },
            displayName: { type: 'string' },
            mustChangePassword: { type: 'boolean', description: 'ask for a new password at first sign-in (default true)' },
          },
          additionalProperties: false,
        },
        response: { 200: okObject('the new user', { user: userSchema }), ...pick(400, 401, 403, 409) },
      },
    },
    async (req) => {
      const b = req.body as { username: string; password: string; role: Role; displayName?: string; mustChangePassword?: boolean };
      const user = await createUser(s.configStore, { ...b, mustChangePassword: b.mustChangePassword ?? true });
      s.configStore.audit(c.actor(req), 'user.create', user.username, { role: user.role });
      return { user: publicUser(user) };
    },
  );

  api.put(
    '/api/users/:id',
    {
      bodyLimit: 4096,
      schema: {
        tags: ['users'],
        summary: '修改用户 Change role, disable, reset password',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: ['admin', 'operator', 'viewer'] },
            disabled: { type: 'boolean' },
            displayName: { type: ['string', 'null'] },
            password: { type: 'string', description: 'reset: the user must change it at next sign-in' },
          },
          additionalProperties: false,
        },
        response: { 200: okObject('the user', { user: userSchema }), ...pick(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const b = req.body as { role?: Role; disabled?: boolean; displayName?: string | null; password?: string };
      const u = s.configStore.getUser(id);
      if (!u) throw new HttpError(404, 'not_found', `no user ${id}`);
      if (b.role !== undefined && roleProblem(b.role)) throw new HttpError(400, 'bad_request', 'invalid role', [{ path: 'role', message: roleProblem(b.role)! }]);
      const losesAdmin = u.role === 'admin' && !u.disabled && ((b.role !== undefined && b.role !== 'admin') || b.disabled === true);
      if (losesAdmin && s.configStore.countActiveAdmins() <= 1) throw new HttpError(409, 'conflict', 'this is the last active admin; make another admin first');
      let passwordHash: string | undefined;
      if (b.password !== undefined) {
        const problem = passwordProblem(b.password, u.username);
        if (problem) throw new HttpError(400, 'bad_request', `password: ${problem}`, [{ path: 'password', message: problem }]);
        passwordHash = await hashPassword(b.password);
      }
      s.configStore.updateUser(id, { role: b.role, disabled: b.disabled, displayName: b.displayName, passwordHash, mustChangePassword: passwordHash ? true : undefined }, Date.now());
      if (b.disabled || passwordHash || (b.role && b.role !== u.role)) s.configStore.deleteSessionsOf(id);
      s.configStore.audit(c.actor(req), 'user.update', u.username, { role: b.role, disabled: b.disabled, passwordReset: Boolean(passwordHash) });
      return { user: publicUser(s.configStore.getUser(id)!) };
    },
  );

  api.delete(
    '/api/users/:id',
    { schema: { tags: ['users'], summary: '删除用户 Delete a user', params: idParams, response: { 200: okObject('deleted'), ...pick(401, 403, 404, 409) } } },
    async (req) => {
      const { id } = req.params as { id: number };
      const u = s.configStore.getUser(id);
      if (!u) throw new HttpError(404, 'not_found', `no user ${id}`);
      if (req.principal?.userId === id) throw new HttpError(409, 'conflict', 'you cannot delete yourself');
      if (u.role === 'admin' && !u.disabled && s.configStore.countActiveAdmins() <= 1) throw new HttpError(409, 'conflict', 'this is the last active admin');
      s.configStore.deleteUser(id);
      s.configStore.audit(c.actor(req), 'user.delete', u.username, null);
      return { ok: true };
    },
  );
}
