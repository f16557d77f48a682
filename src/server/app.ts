/**
 * The HTTP server: QEasy-compatible open API (oauth + push), the management API, health and metrics, and the
 * mounted platform sandboxes. Every error answer has one shape: `{code, error, message, issues?}`; no stack traces.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AppDef } from '../metadata/types.ts';
import { makeAuthorize, makeSchemeOf, type AppOptions, type ServerContext } from './context.ts';

export type { AppOptions } from './context.ts';
import { HttpError, sendError } from './http-errors.ts';
import { appKeyRoutes } from './routes/apps-keys.ts';
import { authRoutes, loginRoutes } from './routes/auth.ts';
import { connectorRoutes } from './routes/connectors.ts';
import { consoleDataRoutes } from './routes/console-data.ts';
import { consoleStaticRoutes, securityHeaders } from './routes/console-static.ts';
import { documentRoutes, registerSwagger } from './routes/docs.ts';
import { openApiRoutes } from './routes/open-api.ts';
import { platformRoutes } from './routes/platforms.ts';
import { recordRoutes } from './routes/records.ts';
import { scheduleRoutes } from './routes/schedule.ts';
import { schemeConfigRoutes } from './routes/scheme-config.ts';

export { HttpError } from './http-errors.ts';

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function validationPath(context: string | undefined, v: AjvIssue): string {
  const parts = (v.instancePath ?? '').split('/').filter(Boolean);
  if (typeof v.params?.missingProperty === 'string') parts.push(v.params.missingProperty);
  if (typeof v.params?.additionalProperty === 'string') parts.push(v.params.additionalProperty);
  const inner = parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
  return context === 'body' ? inner || '$' : [context, inner].filter(Boolean).join('.');
}


export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: o.bodyLimit ?? 5 * 1024 * 1024,
    // Per-request log lines cost more than a push itself; errors and operator actions are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    logger: {
      level: o.logLevel ?? process.env.QIAO_LOG_LEVEL ?? 'info',
      redact: ['req.headers.authorization', 'req.query.access_token', '*.app_secret', '*.appsecret'],
    },
    // Request ids go into each record's intake history.
    genReqId: () => `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: AjvIssue[]; validationContext?: string }, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.statusCode, err.error, err.message, err.issues);
    if (err.validation) {
      // Request schema violations: one issue per field, named as in the request (body.x, querystring.limit …).
      const issues = err.validation.map((v) => ({ path: validationPath(err.validationContext, v), message: v.message ?? 'invalid' }));
      return sendError(reply, 400, 'bad_request', `invalid ${err.validationContext ?? 'request'}`, issues);
    }
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, 413, 'payload_too_large', `request body is larger than ${app.initialConfig.bodyLimit} bytes`);
    if (status >= 400 && status < 500) {
      const message = err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'send the body as application/json' : err.message;
      return sendError(reply, status, 'bad_request', message);
    }
    req.log.error({ err }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error; see the server log');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  const appByKey = new Map<string, AppDef>(o.workspace.apps.map((a) => [a.app_key, a]));
  const committer = o.committer;
  const con = o.console;
  con?.config.attach({ dispatcher: o.dispatcher, appByKey });
  const ctx: ServerContext = {
    ...o,
    appByKey,
    authorize: makeAuthorize(o.tokens, appByKey, {
      session: con ? (req) => con.sessions.authenticate(req) : undefined,
      revokedBefore: con ? (appKey) => con.config.revoked.get(appKey) : undefined,
    }),
    schemeOf: makeSchemeOf(o.runtime),
    actor: (req) => (req.principal ? `${req.principal.kind}:${req.principal.name}` : `app:${req.claims?.app ?? '?'}`),
  };

  securityHeaders(app);
  await registerSwagger(app);
  documentRoutes(app);

  // Health and metrics are open (like most exporters): they reveal counts, never content or secrets.
  app.get('/healthz', async () => {
    const m = process.memoryUsage();
    return {
      status: 'ok',
      schemes: [...o.runtime.schemes.keys()].map((id) => ({ id, running: o.dispatcher.isActive(id) })),
      memory: { rssMB: Math.round(m.rss / 1048576), heapUsedMB: Math.round(m.heapUsed / 1048576) },
    };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });

  openApiRoutes(app, ctx);

  // Management API: every route in this scope needs a console session whose role is enough for the route, or an
  // access token of an app with the admin scope (test/management/route-table.test.ts walks every route to prove it).
  if (con) loginRoutes(app, con);
  await app.register(async (api) => {
    // onRequest: credentials are checked before a body is even read or validated.
    api.addHook('onRequest', ctx.authorize('admin'));
    recordRoutes(api, ctx);
    platformRoutes(api, ctx);
    scheduleRoutes(api, ctx);
    if (con) {
      authRoutes(api, ctx, con);
      connectorRoutes(api, ctx, con);
      schemeConfigRoutes(api, ctx, con);
      consoleDataRoutes(api, ctx, con);
      appKeyRoutes(api, ctx, con);
    }
    api.get('/api/docs', { schema: { hide: true } }, async () => app.swagger());
  });
  if (con) consoleStaticRoutes(app, con.webDir);

  // Mounted sandboxes (simulators); they accept the workspace's sandbox connectors' credentials.
  for (const name of o.workspace.settings.sandboxes) {
    const platform = o.platforms.get(name)!;
    const accounts = [...o.workspace.connectors.values()]
      .filter((c) => c.platform === name && c.env === 'sandbox')
      .map((c) => ({ sid: String(c.params.sid), appkey: String(c.params.appkey), appsecret: String(c.params.appsecret) }));
    await app.register(async (scope) => platform.sandbox!(scope, { accounts }), {
      prefix: `/sandbox/${name}${platform.sandboxBasePath ?? ''}`,
    });
  }

  app.addHook('onClose', async () => {
    await committer.drain();
  });
  return app;
}
