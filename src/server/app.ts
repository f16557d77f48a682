/**
 * The HTTP server: QEasy-compatible open API (oauth + push), the management API, health, and the mounted
 * platform sandboxes. Every error answer has one shape: `{code, error, message, issues?}`; no stack traces.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Platform } from '../connectors/types.ts';
import type { Issue } from '../errors.ts';
import type { AppDef, AppScope } from '../metadata/types.ts';
import type { Workspace } from '../metadata/workspace.ts';
import { Dispatcher } from '../engine/dispatcher.ts';
import { GroupCommitter } from '../engine/group-commit.ts';
import { intakeRecords } from '../engine/intake.ts';
import type { Metrics } from '../engine/metrics.ts';
import type { Runtime, SchemeRuntime } from '../engine/runtime.ts';
import { createHash } from 'node:crypto';
import { RecordStatus, type IdCheckMode, type RecordFilter, type Store } from '../store/types.ts';
import { secretsEqual, TokenIssuer, type TokenClaims } from './tokens.ts';

export interface AppOptions {
  workspace: Workspace;
  runtime: Runtime;
  store: Store;
  platforms: Map<string, Platform>;
  tokens: TokenIssuer;
  dispatcher: Dispatcher;
  metrics: Metrics;
  /** Largest accepted request body (bytes); larger pushes get 413. */
  bodyLimit?: number;
  logLevel?: string;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
  }
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
  const committer = new GroupCommitter(o.store);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.statusCode, err.error, err.message, err.issues);
    const status = err.statusCode ?? 500;
    if (status === 413) return sendError(reply, 413, 'payload_too_large', `request body is larger than ${app.initialConfig.bodyLimit} bytes`);
    if (status >= 400 && status < 500) {
      const message = err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'send the body as application/json' : err.message;
      return sendError(reply, status, err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'bad_request' : 'bad_request', message);
    }
    req.log.error({ err }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error; see the server log');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  const appByKey = new Map<string, AppDef>(o.workspace.apps.map((a) => [a.app_key, a]));
  const authorize = (scope: AppScope) => async (req: FastifyRequest) => {
    const q = req.query as Record<string, unknown>;
    const header = req.headers.authorization;
    const token =
      typeof q.access_token === 'string' && q.access_token
        ? q.access_token
        : header?.startsWith('Bearer ')
          ? header.slice(7).trim()
          : undefined;
    if (!token) throw new HttpError(401, 'unauthorized', 'access token required (?access_token= or Authorization: Bearer); get one from POST /v2/oauth');
    const claims = o.tokens.verify(token);
    if ('error' in claims) throw new HttpError(401, 'unauthorized', claims.error);
    const appDef = appByKey.get(claims.app);
    if (!appDef) throw new HttpError(401, 'unauthorized', 'the app of this token no longer exists');
    if (!appDef.scopes.includes(scope)) throw new HttpError(403, 'forbidden', `this app lacks the "${scope}" scope`);
    req.claims = claims;
  };

  // Health and metrics are open (like most exporters): they reveal counts, never content or secrets.
  app.get('/healthz', async () => ({
    status: 'ok',
    schemes: [...o.runtime.schemes.keys()].map((id) => ({ id, running: o.dispatcher.isActive(id) })),
  }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });

  app.post('/v2/oauth', async (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const issues: Issue[] = [];
    for (const k of ['app_key', 'app_secret'])
      if (typeof body?.[k] !== 'string' || !body[k]) issues.push({ path: k, message: 'required string' });
    if (issues.length) throw new HttpError(400, 'bad_request', 'app_key and app_secret are required', issues);
    const appDef = appByKey.get(body!.app_key as string);
    if (!appDef || !secretsEqual(appDef.app_secret, body!.app_secret as string))
      throw new HttpError(401, 'unauthorized', 'unknown app_key or wrong app_secret');
    return o.tokens.issue(appDef);
  });

  const push = async (req: FastifyRequest, reply: FastifyReply) => {
    const { schemeId } = req.params as { schemeId: string };
    const rt = o.runtime.schemes.get(schemeId);
    if (!rt) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
    if (rt.def.source.metadata.api !== 'OpenCallback')
      throw new HttpError(404, 'not_found', `scheme "${schemeId}" does not take pushes (its source is ${rt.def.source.metadata.api})`);
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new HttpError(400, 'bad_request', 'body must be a JSON object {"content": [record, …]}');
    if (!Array.isArray(body.content) || body.content.length === 0)
      throw new HttpError(400, 'bad_request', '"content" must be a non-empty list of records', [
        { path: 'content', message: 'required non-empty array' },
      ]);
    let idCheck: IdCheckMode | undefined;
    if (body.idCheck !== undefined) {
      if (body.idCheck !== true && body.idCheck !== false && body.idCheck !== 'changed')
        throw new HttpError(400, 'bad_request', 'idCheck must be true, false or "changed"', [{ path: 'idCheck', message: 'true | false | "changed"' }]);
      idCheck = body.idCheck;
    }
    const summary = await intakeRecords(rt, committer, body.content, {
      idCheck,
      origin: { remote: req.ip, requestId: req.id, app: req.claims?.app },
    });
    if (summary.accepted) o.dispatcher.wake(schemeId);
    for (const k of ['accepted', 'duplicate', 'filtered', 'rejected'] as const)
      if (summary[k]) o.metrics.intake.inc({ scheme: schemeId, outcome: k }, summary[k]);
    const nothingTaken = summary.accepted + summary.duplicate + summary.filtered === 0;
    reply.code(nothingTaken ? 400 : 200);
    return {
      code: nothingTaken ? 400 : 0,
      success: !nothingTaken,
      message: nothingTaken ? 'every record was rejected; nothing was stored' : 'ok',
      ...summary,
    };
  };
  app.post('/v2/open-api/business/:schemeId/store', { preHandler: authorize('push') }, push);
  app.post('/api/open/operation/:schemeId', { preHandler: authorize('push') }, push);

  // ---- management API (scope admin) ----
  await app.register(async (api) => {
    api.addHook('preHandler', authorize('admin'));

    const schemeOf = (req: FastifyRequest): SchemeRuntime => {
      const { schemeId } = req.params as { schemeId: string };
      const rt = o.runtime.schemes.get(schemeId);
      if (!rt) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
      return rt;
    };
    const actor = (req: FastifyRequest) => `app:${req.claims?.app ?? '?'}`;

    api.get('/api/schemes', async () => ({
      schemes: await Promise.all(
        [...o.runtime.schemes.values()].map(async (rt) => ({
          id: rt.def.id,
          name: rt.def.name,
          enabled: rt.def.enabled,
          running: o.dispatcher.isActive(rt.def.id),
          source: { connector: rt.def.source.connector, api: rt.def.source.metadata.api },
          target: { connector: rt.def.target.connector, api: rt.def.target.metadata.api },
          counts: await o.store.countByStatus(rt.def.id),
        })),
      ),
    }));

    api.get('/api/schemes/:schemeId/records', async (req) => {
      const { schemeId } = req.params as { schemeId: string };
      if (!o.runtime.schemes.has(schemeId)) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
      const q = req.query as Record<string, string | undefined>;
      const issues: Issue[] = [];
      let status: number | undefined;
      if (q.status !== undefined && q.status !== '') {
        status = /^\d+$/.test(q.status) ? Number(q.status) : RecordStatus[q.status as keyof typeof RecordStatus];
        if (status === undefined || !Object.values(RecordStatus).includes(status as never))
          issues.push({ path: 'status', message: `one of ${Object.entries(RecordStatus).map(([k, v]) => `${v}/${k}`).join(', ')}` });
      }
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      const offset = q.offset === undefined ? 0 : Number(q.offset);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) issues.push({ path: 'limit', message: 'integer 1..1000' });
      if (!Number.isInteger(offset) || offset < 0) issues.push({ path: 'offset', message: 'integer ≥ 0' });
      if (issues.length) throw new HttpError(400, 'bad_request', 'invalid query', issues);
      return o.store.listRecords(schemeId, { status, limit, offset });
    });

    api.get('/api/schemes/:schemeId/records/:recordId', async (req) => {
      const { schemeId, recordId } = req.params as { schemeId: string; recordId: string };
      if (!o.runtime.schemes.has(schemeId)) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
      if (!/^\d+$/.test(recordId)) throw new HttpError(400, 'bad_request', 'record id must be a number', [{ path: 'recordId', message: 'integer' }]);
      const rec = await o.store.getRecord(schemeId, Number(recordId));
      if (!rec) throw new HttpError(404, 'not_found', `no record ${recordId} in scheme "${schemeId}"`);
      return rec;
    });

    // Start/stop (启动/停止): a stopped scheme keeps accepting pushes, as in QEasy, but sends nothing. Persisted.
    for (const action of ['start', 'stop'] as const)
      api.post(`/api/schemes/:schemeId/${action}`, async (req) => {
        const rt = schemeOf(req);
        rt.def.enabled = action === 'start';
        await o.store.setState(`scheme:${rt.def.id}`, { enabled: rt.def.enabled });
        if (action === 'start') o.dispatcher.startScheme(rt.def.id);
        else await o.dispatcher.stopScheme(rt.def.id);
        req.log.info({ scheme: rt.def.id, by: actor(req) }, `scheme ${action}`);
        return { id: rt.def.id, enabled: rt.def.enabled, running: o.dispatcher.isActive(rt.def.id) };
      });

    // Pause/resume a target connector: every scheme writing through it holds its records. Persisted.
    for (const action of ['pause', 'resume'] as const)
      api.post(`/api/connectors/:name/${action}`, async (req) => {
        const { name } = req.params as { name: string };
        const limiter = o.runtime.limiters.get(name);
        if (!limiter) throw new HttpError(404, 'not_found', `no target connector "${name}"`);
        limiter.setPaused(action === 'pause');
        await o.store.setState(`connector:${name}`, { paused: limiter.paused });
        if (action === 'resume') for (const rt of o.runtime.schemes.values()) if (rt.targetConnector.name === name) o.dispatcher.wake(rt.def.id);
        req.log.info({ connector: name, by: actor(req) }, `connector ${action}`);
        return { name, paused: limiter.paused, breakerState: limiter.breakerState };
      });

    // 重新排队 / 忽略 by ids or by filter. Records in flight are left alone.
    for (const action of ['requeue', 'ignore'] as const)
      api.post(`/api/schemes/:schemeId/records/${action}`, async (req) => {
        const rt = schemeOf(req);
        const filter = parseFilter(req.body);
        const n = await o.store[action](rt.def.id, filter, actor(req), Date.now());
        if (action === 'requeue' && n) o.dispatcher.wake(rt.def.id);
        return { [action === 'requeue' ? 'requeued' : 'ignored']: n };
      });

    // Edit a record's content and resubmit: checked against the source metadata like a push.
    api.put('/api/schemes/:schemeId/records/:recordId/content', async (req) => {
      const rt = schemeOf(req);
      const { recordId } = req.params as { recordId: string };
      const body = req.body as { content?: unknown } | undefined;
      if (!/^\d+$/.test(recordId)) throw new HttpError(400, 'bad_request', 'record id must be a number', [{ path: 'recordId', message: 'integer' }]);
      if (typeof body?.content !== 'object' || body.content === null || Array.isArray(body.content))
        throw new HttpError(400, 'bad_request', 'body must be {"content": {record}}', [{ path: 'content', message: 'required object' }]);
      const issues = rt.source.validate(body.content).map((i) => ({ ...i, path: `content.${i.path}` }));
      if (issues.length) throw new HttpError(400, 'bad_request', 'the new content does not match the source metadata', issues);
      const existing = await o.store.getRecord(rt.def.id, Number(recordId));
      if (!existing) throw new HttpError(404, 'not_found', `no record ${recordId} in scheme "${rt.def.id}"`);
      const newId = rt.source.idOf(body.content as Record<string, unknown>);
      if (newId !== existing.sourceId)
        throw new HttpError(400, 'bad_request', `the record id cannot change (was "${existing.sourceId}")`, [{ path: `content.${rt.def.source.metadata.id}`, message: 'must stay the same' }]);
      const json = JSON.stringify(body.content);
      await o.store.editContent(rt.def.id, existing.id, json, createHash('md5').update(json).digest('hex'), actor(req), Date.now());
      o.dispatcher.wake(rt.def.id);
      return o.store.getRecord(rt.def.id, existing.id);
    });
  });

  // ---- mounted sandboxes (simulators) ----
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

const STATUS_NAMES = Object.keys(RecordStatus).join(', ');

/** An operator filter: {ids} and/or {status, from, to, error}; at least one condition, so nothing is hit by accident. */
export function parseFilter(body: unknown): RecordFilter {
  const issues: Issue[] = [];
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'body must be a JSON object');
  const f: RecordFilter = {};
  if (b.ids !== undefined) {
    if (!Array.isArray(b.ids) || b.ids.some((x) => !Number.isInteger(x))) issues.push({ path: 'ids', message: 'list of record ids (integers)' });
    else f.ids = b.ids as number[];
  }
  if (b.status !== undefined) {
    const list = Array.isArray(b.status) ? b.status : [b.status];
    const codes = list.map((x) => (typeof x === 'number' ? x : RecordStatus[x as keyof typeof RecordStatus]));
    if (codes.some((c) => c === undefined || !Object.values(RecordStatus).includes(c as never)))
      issues.push({ path: 'status', message: `status names (${STATUS_NAMES}) or codes` });
    else f.status = codes as number[];
  }
  for (const k of ['from', 'to'] as const) {
    if (b[k] === undefined) continue;
    const t = typeof b[k] === 'number' ? (b[k] as number) : Date.parse(String(b[k]));
    if (Number.isNaN(t)) issues.push({ path: k, message: 'ms timestamp or ISO date-time' });
    else f[k] = t;
  }
  if (b.error !== undefined) {
    if (typeof b.error !== 'string' || !b.error) issues.push({ path: 'error', message: 'non-empty text' });
    else f.errorContains = b.error;
  }
  if (!issues.length && Object.keys(f).length === 0)
    issues.push({ path: '$', message: 'give ids or at least one of status, from, to, error' });
  if (issues.length) throw new HttpError(400, 'bad_request', 'invalid record filter', issues);
  return f;
}

function sendError(reply: FastifyReply, status: number, error: string, message: string, issues?: Issue[]) {
  return reply.code(status).send({ code: status, error, message, ...(issues ? { issues } : {}) });
}
