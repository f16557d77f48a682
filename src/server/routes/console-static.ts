/**
 * The built console (web/dist) at `/`, and the security headers every answer carries.
 *
 * The CSP allows scripts only from this origin (the build has no inline script), styles from this origin plus inline
 * styles (antd writes its theme as <style> elements at run time), images from this origin and data: URLs, and
 * requests only to this origin. Hashed assets are cached for a year; index.html is revalidated every time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
    // Management answers hold business data: never cached by a browser or proxy.
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface Cached {
  body: Buffer;
  gzip?: Buffer;
  etag: string;
  type: string;
}

const NOT_BUILT = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>Qiao</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>桥 Qiao</h1><p>控制台尚未构建。运行 <code>npm run build:web</code>（<code>npm ci</code> 会自动构建），然后刷新。</p>
<p>The web console is not built yet. Run <code>npm run build:web</code> (<code>npm ci</code> does it), then reload.</p>
<p>API: <a href="/api/docs">/api/docs</a> · <a href="/healthz">/healthz</a></p></body></html>`;

export function consoleStaticRoutes(app: FastifyInstance, webDir: string): void {
  const cache = new Map<string, Cached>();
  const root = path.resolve(webDir);

  const load = (rel: string): Cached | undefined => {
    const hit = cache.get(rel);
    if (hit) return hit;
    const file = path.resolve(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return undefined; // no way out of the folder
    let body: Buffer;
    try {
      if (!fs.statSync(file).isFile()) return undefined;
      body = fs.readFileSync(file);
    } catch {
      return undefined;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const entry: Cached = {
      body,
      type,
      etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`,
      gzip: /text|javascript|json|svg/.test(type) && body.length > 1024 ? zlib.gzipSync(body, { level: 6 }) : undefined,
    };
    cache.set(rel, entry);
    return entry;
  };

  const send = (req: FastifyRequest, reply: FastifyReply, f: Cached, immutable: boolean) => {
    reply.header('content-type', f.type);
    reply.header('etag', f.etag);
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    if (f.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      reply.header('content-encoding', 'gzip');
      reply.header('vary', 'accept-encoding');
      return reply.send(f.gzip);
    }
    return reply.send(f.body);
  };

  const index = async (req: FastifyRequest, reply: FastifyReply) => {
    const f = load('index.html');
    if (!f) return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
    return send(req, reply, f, false);
  };

  const hide = { schema: { hide: true } };
  app.get('/', hide, index);
  app.get('/index.html', hide, index);
  app.get('/assets/*', hide, async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    const f = load(path.join('assets', rel));
    if (!f) return reply.code(404).type('text/plain').send('not found');
    return send(req, reply, f, true);
  });
  app.get('/favicon.svg', hide, async (req, reply) => {
    const f = load('favicon.svg');
    if (!f) return reply.code(404).type('text/plain').send('not found');
    return send(req, reply, f, false);
  });
}
