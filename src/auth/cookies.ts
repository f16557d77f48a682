/** The one cookie the console uses, read and written without a dependency. */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'qiao_session';

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      try {
        return decodeURIComponent(v);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** httpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Secure over HTTPS. */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure(req) ? '; Secure' : ''}`);
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure(req) ? '; Secure' : ''}`);
}

function secure(req: FastifyRequest): boolean {
  return req.protocol === 'https' || process.env.QIAO_SECURE_COOKIES === '1';
}
