/**
 * Read-side routes for the console's 数据管理, 日志 and 概览 pages:
 *   GET /api/schemes/{id}/records/search   records with filters (status, time, id/number, text in content or error)
 *   GET /api/logs/calls[/{id}]              target calls across schemes (request with secrets masked, response)
 *   GET /api/logs/events                    record errors, retries and operator actions across schemes
 *   GET /api/logs/audit                     who changed what in the console
 *   GET /api/overview                       per scheme counts, backlog, running; connector health; problems
 *   GET /api/stats/series                   per-minute intake / done / error / retry / calls, for the charts
 */
import type { FastifyInstance } from 'fastify';
import type { Issue } from '../../errors.ts';
import { RecordStatus } from '../../store/types.ts';
import type { ServerContext } from '../context.ts';
import type { ConsoleServices } from '../console-services.ts';
import { HttpError } from '../http-errors.ts';
import { okObject, paging, pick, schemeIdParams } from './schemas.ts';

const csv = (v: string | undefined) => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

/** ms epoch or ISO date-time in a query string. */
function time(v: string | undefined, path: string, issues: Issue[]): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) issues.push({ path, message: 'ms timestamp or ISO date-time' });
  return t;
}

const listQuery = (extra: Record<string, unknown>) => ({
  type: 'object',
  properties: { ...extra, from: { type: 'string', description: 'ms or ISO time' }, to: { type: 'string', description: 'ms or ISO time' }, ...paging },
});

export function consoleDataRoutes(api: FastifyInstance, c: ServerContext, s: ConsoleServices): void {
  api.get(
    '/api/schemes/:schemeId/records/search',
    {
      schema: {
        tags: ['records'],
        summary: '数据查询 Records with filters',
        params: schemeIdParams,
        querystring: listQuery({
          status: { type: 'string', description: 'comma-separated names or codes (pending, done, error, …)' },
          key: { type: 'string', description: 'source id or number (exact or prefix)' },
          text: { type: 'string', description: 'text inside the content or the error' },
        }),
        response: { 200: okObject('{total, rows}'), ...pick(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const rt = c.schemeOf(req);
      const q = req.query as { status?: string; key?: string; text?: string; from?: string; to?: string; limit: number; offset: number };
      const issues: Issue[] = [];
      const status = csv(q.status)?.map((x) => (/^\d+$/.test(x) ? Number(x) : RecordStatus[x as keyof typeof RecordStatus]));
      if (status?.some((x) => x === undefined || !Object.values(RecordStatus).includes(x as never)))
        issues.push({ path: 'status', message: `names or codes of ${Object.entries(RecordStatus).map(([k, v]) => `${v}/${k}`).join(', ')}` });
      const from = time(q.from, 'from', issues);
      const to = time(q.to, 'to', issues);
      if (issues.length) throw new HttpError(400, 'bad_request', 'invalid query', issues);
      return s.queries.searchRecords(rt.def.id, { status: status as number[] | undefined, from, to, key: q.key?.trim() || undefined, text: q.text || undefined, limit: q.limit, offset: q.offset });
    },
  );

  api.get(
    '/api/logs/calls',
    {
      schema: {
        tags: ['logs'],
        summary: '调用日志 Target calls across schemes',
        querystring: listQuery({
          scheme: { type: 'string', description: 'comma-separated scheme ids' },
          outcome: { type: 'string', description: 'comma-separated: ok, business_error, transient' },
          text: { type: 'string', description: 'text in the error, response or URL' },
        }),
        response: { 200: okObject('{total, rows}'), ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const q = req.query as { scheme?: string; outcome?: string; text?: string; from?: string; to?: string; limit: number; offset: number };
      const issues: Issue[] = [];
      const from = time(q.from, 'from', issues);
      const to = time(q.to, 'to', issues);
      if (issues.length) throw new HttpError(400, 'bad_request', 'invalid query', issues);
      return s.queries.listCalls({ schemes: csv(q.scheme), outcome: csv(q.outcome), from, to, text: q.text || undefined, limit: q.limit, offset: q.offset });
    },
  );

  api.get(
    '/api/logs/calls/:id',
    {
      schema: {
        tags: ['logs'],
        summary: '调用详情 One call with its request (secrets masked) and response',
        params: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
        response: { 200: okObject('the call'), ...pick(401, 403, 404) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: number };
      const call = s.queries.getCall(id);
      if (!call) throw new HttpError(404, 'not_found', `no call ${id}`);
      return call;
    },
  );

  api.get(
    '/api/logs/events',
    {
      schema: {
        tags: ['logs'],
        summary: '错误与操作 Record errors, retries and operator actions',
        querystring: listQuery({
          scheme: { type: 'string' },
          kind: { type: 'string', description: 'comma-separated: error, retry, action, intake, done, … (default error,retry,action)' },
          text: { type: 'string', description: 'text in the message, or a record id' },
        }),
        response: { 200: okObject('{total, rows}'), ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const q = req.query as { scheme?: string; kind?: string; text?: string; from?: string; to?: string; limit: number; offset: number };
      const issues: Issue[] = [];
      const from = time(q.from, 'from', issues);
      const to = time(q.to, 'to', issues);
      if (issues.length) throw new HttpError(400, 'bad_request', 'invalid query', issues);
      return s.queries.listEvents({ schemes: csv(q.scheme), kinds: csv(q.kind) ?? ['error', 'retry', 'action'], from, to, text: q.text || undefined, limit: q.limit, offset: q.offset });
    },
  );

  api.get(
    '/api/logs/audit',
    {
      schema: {
        tags: ['logs'],
        summary: '操作审计 Who changed what',
        querystring: { type: 'object', properties: { actor: { type: 'string' }, action: { type: 'string', description: 'prefix, e.g. scheme.' }, ...paging } },
        response: { 200: okObject('{total, rows}'), ...pick(401, 403) },
      },
    },
    async (req) => {
      const q = req.query as { actor?: string; action?: string; limit: number; offset: number };
      return s.configStore.listAudit(q);
    },
  );

  api.get(
    '/api/overview',
    { schema: { tags: ['stats'], summary: '概览 Schemes, backlog, connector health, problems', response: { 200: okObject('overview'), ...pick(401, 403) } } },
    async () => {
      const schemes = await Promise.all(
        [...c.runtime.schemes.values()].map(async (rt) => {
          const counts = await c.store.countByStatus(rt.def.id);
          return {
            id: rt.def.id,
            name: rt.def.name,
            origin: s.config.schemeOrigin(rt.def.id),
            enabled: rt.def.enabled,
            running: c.dispatcher.isActive(rt.def.id),
            source: { connector: rt.def.source.connector, api: rt.def.source.metadata.api },
            target: { connector: rt.def.target.connector, api: rt.def.target.metadata.api },
            counts,
            backlog: (counts.pending ?? 0) + (counts.queued ?? 0),
          };
        }),
      );
      const connectors = [...c.workspace.connectors.values()].map((conn) => {
        const l = c.runtime.limiters.get(conn.name);
        return {
          name: conn.name,
          platform: conn.platform,
          env: conn.env,
          origin: s.config.connectorOrigin(conn.name),
          target: Boolean(l),
          paused: l?.paused ?? false,
          breakerState: l?.breakerState ?? 0,
        };
      });
      const broken = s.config.brokenSchemes().map((x) => ({ id: x.id, name: String(x.def.name ?? x.id) }));
      return { schemes, connectors, brokenSchemes: broken, problems: s.config.problems, now: Date.now() };
    },
  );

  api.get(
    '/api/stats/series',
    {
      schema: {
        tags: ['stats'],
        summary: '吞吐与错误 Per-minute counts for charts',
        querystring: {
          type: 'object',
          properties: {
            minutes: { type: 'integer', minimum: 5, maximum: 10080, default: 60, description: 'how far back' },
            bucket: { type: 'integer', minimum: 1, maximum: 1440, default: 1, description: 'minutes per point' },
            scheme: { type: 'string' },
          },
        },
        response: { 200: okObject('{bucketMs, points: [{t, intake, done, error, retry, callsOk, callsFailed}]}'), ...pick(401, 403) },
      },
    },
    async (req) => {
      const q = req.query as { minutes: number; bucket: number; scheme?: string };
      s.stats.fold(); // include what happened since the last background pass
      const bucketMs = q.bucket * 60_000;
      const end = Math.floor(Date.now() / bucketMs) * bucketMs;
      const start = end - Math.ceil(q.minutes / q.bucket - 1) * bucketMs;
      const points = new Map<number, { t: number; intake: number; done: number; error: number; retry: number; callsOk: number; callsFailed: number }>();
      for (let t = start; t <= end; t += bucketMs) points.set(t, { t, intake: 0, done: 0, error: 0, retry: 0, callsOk: 0, callsFailed: 0 });
      for (const b of s.configStore.statsSince(start, q.scheme || undefined)) {
        const p = points.get(Math.floor(b.minute / bucketMs) * bucketMs);
        if (!p) continue;
        p.intake += b.intake;
        p.done += b.done;
        p.error += b.error;
        p.retry += b.retry;
        p.callsOk += b.callsOk;
        p.callsFailed += b.callsFailed;
      }
      return { bucketMs, points: [...points.values()] };
    },
  );
}
