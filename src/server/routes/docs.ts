/**
 * The OpenAPI document (GET /api/docs), built by @fastify/swagger from the routes' JSON schemas. Routes written
 * before the console get a summary and tags here (documentation only: no request schema is added to them, so
 * their validation and error messages stay exactly as they are); simulator routes are left out.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

type Doc = { tags: string[]; summary: string; description?: string };

const EXISTING: Record<string, Doc> = {
  'GET /api/schemes': { tags: ['schemes'], summary: '方案列表 Schemes with counts by status' },
  'GET /api/schemes/:schemeId/records': { tags: ['records'], summary: '数据列表 Records of a scheme (?status=&limit=&offset=)' },
  'GET /api/schemes/:schemeId/records/:recordId': { tags: ['records'], summary: '数据详情 A record with its full trace (content, mapped request, calls, history)' },
  'POST /api/schemes/:schemeId/preview': { tags: ['schemes'], summary: '预览 Dry run of a saved scheme on {"samples": [...]}' },
  'POST /api/schemes/:schemeId/start': { tags: ['schemes'], summary: '启动 Start a scheme (operator)' },
  'POST /api/schemes/:schemeId/stop': { tags: ['schemes'], summary: '停止 Stop a scheme; pushes are still accepted (operator)' },
  'POST /api/schemes/:schemeId/records/requeue': { tags: ['records'], summary: '重新排队 Re-queue records by {ids} or {status, from, to, error} (operator)' },
  'POST /api/schemes/:schemeId/records/ignore': { tags: ['records'], summary: '忽略 Ignore records by {ids} or filter (operator)' },
  'PUT /api/schemes/:schemeId/records/:recordId/content': { tags: ['records'], summary: '编辑并重新提交 Replace a record’s content and send it again (operator)' },
  'POST /api/connectors/:name/pause': { tags: ['connectors'], summary: '暂停 Hold every call through a connector (operator)' },
  'POST /api/connectors/:name/resume': { tags: ['connectors'], summary: '恢复 Resume a paused connector (operator)' },
  'GET /api/schemes/:schemeId/schedule': { tags: ['schemes'], summary: '调度状态 Schedule state, cursor and recent runs (?runs=)' },
  'POST /api/schemes/:schemeId/run': { tags: ['schemes'], summary: '立即执行 Run a side now {side, wait, timeoutMs} (operator)' },
  'PUT /api/schemes/:schemeId/schedule/cursor': { tags: ['schemes'], summary: '设置同步时间 Set the source cursor (LAST_SYNC_TIME)' },
  'GET /api/platforms': { tags: ['platforms'], summary: '平台 Platforms, their params and API lists' },
  'GET /api/platforms/:platform/apis/:api': { tags: ['platforms'], summary: '标准API库 One API with its field metadata' },
  'POST /v2/oauth': { tags: ['open api'], summary: 'Access token for an app: {"app_key", "app_secret"} → {"access_token", "expires_in"}' },
  'POST /v2/open-api/business/:schemeId/store': { tags: ['open api'], summary: '推送 Push records {"content": [...]} into an OpenCallback scheme (push scope)' },
  'POST /api/open/operation/:schemeId': { tags: ['open api'], summary: '推送 (older QEasy path) {"content": [...], "idCheck"}' },
  'GET /healthz': { tags: ['health'], summary: 'Liveness and scheme states (open)' },
  'GET /metrics': { tags: ['health'], summary: 'Prometheus metrics (open)' },
};

/** Management routes that take a body get this limit unless they set their own (pushes keep the server's). */
export const MANAGEMENT_BODY_LIMIT = 2 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (method + URL pattern), for the authorization walk in test/management. */
    routeTable: Array<{ method: string; url: string; role?: string }>;
  }
}

export function documentRoutes(app: FastifyInstance): void {
  const table: Array<{ method: string; url: string; role?: string }> = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const url = route.url;
    const role = (route.config as { role?: string } | undefined)?.role;
    for (const m of methods) if (m !== 'HEAD') table.push({ method: m, url, ...(role ? { role } : {}) });
    if (url.startsWith('/sandbox/')) {
      route.schema = { ...(route.schema ?? {}), hide: true };
      return;
    }
    if (url.startsWith('/api/') && !url.startsWith('/api/open/') && route.bodyLimit === undefined) route.bodyLimit = MANAGEMENT_BODY_LIMIT;
    const doc = EXISTING[`${methods[0]} ${url}`];
    // Tags and a summary only: a response schema would make Fastify drop fields it does not list.
    if (doc && !route.schema?.summary) route.schema = { ...(route.schema ?? {}), ...doc };
  });
}

export async function registerSwagger(app: FastifyInstance): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Qiao 桥 management API',
        version: '1',
        description:
          'Every /api route needs a console session (cookie, plus X-CSRF-Token on changes) or an access token of an app with the admin scope (POST /v2/oauth). Roles: viewer reads, operator runs (start/stop, re-queue, edit records), admin changes definitions, users, apps and keys. Errors: {code, error, message, issues?}.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'qiao_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
  });
}
