/**
 * Console sessions: a random 256-bit value in an httpOnly SameSite=Strict cookie; the store keeps only its SHA-256,
 * so a copy of the database does not hold usable sessions. Sessions end after 12 h without use or 7 days in all,
 * and when the user's password changes or the user is disabled or deleted.
 *
 * CSRF: besides SameSite=Strict, every state-changing request made with the cookie must carry the session's CSRF
 * token in `X-CSRF-Token` (the console gets it from sign-in and `GET /api/auth/me`), and a request whose Origin
 * header names another site is refused.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../server/http-errors.ts';
import type { ConfigStore, UserRow } from '../store/sqlite/config-store.ts';
import { clearSessionCookie, readCookie, SESSION_COOKIE, setSessionCookie } from './cookies.ts';
import { roleAllows, requiredRole, type Principal, type Role } from './roles.ts';

export interface SessionOptions {
  idleMs?: number;
  absoluteMs?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class SessionManager {
  readonly idleMs: number;
  readonly absoluteMs: number;

  constructor(
    private readonly config: ConfigStore,
    opts: SessionOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 12 * 3600_000;
    this.absoluteMs = opts.absoluteMs ?? 7 * 24 * 3600_000;
  }

  /** Start a session for a signed-in user; sets the cookie and returns the CSRF token for the console. */
  create(req: FastifyRequest, reply: FastifyReply, user: UserRow, now = Date.now()): { csrfToken: string } {
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    this.config.insertSession({
      id: sha256(token),
      userId: user.id,
      csrf,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.absoluteMs,
      ip: req.ip,
      userAgent: String(req.headers['user-agent'] ?? '').slice(0, 200),
    });
    setSessionCookie(req, reply, token, Math.floor(this.absoluteMs / 1000));
    return { csrfToken: csrf };
  }

  destroy(req: FastifyRequest, reply: FastifyReply): void {
    const token = readCookie(req, SESSION_COOKIE);
    if (token) this.config.deleteSession(sha256(token));
    clearSessionCookie(req, reply);
  }

  /** The live session and user behind the request's cookie, or undefined. Expired sessions are deleted. */
  lookup(req: FastifyRequest, now = Date.now()): { session: { id: string; csrf: string }; user: UserRow } | undefined {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token || token.length > 100) return undefined;
    const id = sha256(token);
    const s = this.config.getSession(id);
    if (!s) return undefined;
    if (s.expiresAt <= now || s.lastSeenAt + this.idleMs <= now) {
      this.config.deleteSession(id);
      return undefined;
    }
    const user = this.config.getUser(s.userId);
    if (!user || user.disabled) {
      this.config.deleteSession(id);
      return undefined;
    }
    // Sliding idle timeout, written at most once a minute.
    if (now - s.lastSeenAt > 60_000) this.config.touchSession(id, now);
    return { session: { id, csrf: s.csrf }, user };
  }

  /**
   * preHandler part for the management API: the session's principal when the cookie is valid, the CSRF token
   * matches (state-changing methods) and the user's role is enough for the route. Throws 401/403 otherwise.
   * Returns undefined when the request has no session cookie at all (the caller then tries other credentials).
   */
  authenticate(req: FastifyRequest): Principal | undefined {
    if (!readCookie(req, SESSION_COOKIE)) return undefined;
    const found = this.lookup(req);
    if (!found) throw new HttpError(401, 'unauthorized', 'your session has ended; sign in again');
    const { session, user } = found;
    if (!SAFE_METHODS.has(req.method)) {
      checkOrigin(req);
      const given = String(req.headers['x-csrf-token'] ?? '');
      const a = Buffer.from(given);
      const b = Buffer.from(session.csrf);
      if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
    }
    const principal: Principal = { kind: 'user', name: user.username, role: user.role, userId: user.id, sessionId: session.id };
    if (user.mustChangePassword && !PASSWORD_CHANGE_ROUTES.has(`${req.method} ${req.routeOptions.url}`))
      throw new HttpError(403, 'password_change_required', 'change your one-time password first (POST /api/auth/password)');
    authorizeRole(req, principal);
    return principal;
  }

  csrfOf(req: FastifyRequest): string | undefined {
    return this.lookup(req)?.session.csrf;
  }
}

/** What a user who must change the password may still do. */
const PASSWORD_CHANGE_ROUTES = new Set(['GET /api/auth/me', 'POST /api/auth/password', 'POST /api/auth/logout']);

/** Throws 403 when the principal's role is below what the route needs. */
export function authorizeRole(req: FastifyRequest, principal: Principal): void {
  const need = requiredRole(req.method, req.routeOptions.url ?? '', (req.routeOptions.config as { role?: Role } | undefined)?.role);
  if (!roleAllows(principal.role, need))
    throw new HttpError(403, 'forbidden', `this needs the ${need} role; you are ${principal.role}`);
}

/** A browser always sends Origin on cross-site POSTs; when it names another host than ours, refuse. */
export function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (!origin || origin === 'null') {
    if (origin === 'null') throw new HttpError(403, 'csrf', 'cross-site request refused');
    return;
  }
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'csrf', 'bad Origin header');
  }
  if (host !== req.headers.host) throw new HttpError(403, 'csrf', `cross-site request from ${origin} refused`);
}
