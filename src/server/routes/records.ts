/**
 * Management API for schemes and records (app scope `admin`): list schemes with counts, query records and their
 * trace, start/stop schemes, pause connectors, re-queue / ignore / edit and resubmit records.
 */
import { createHash } from 'node:crypto';
import { previewScheme } from '../../mapping/preview.ts';
import { ValidationError } from '../../errors.ts';
import type { FastifyInstance } from 'fastify';
import type { Issue } from '../../errors.ts';
import { RecordStatus, type RecordFilter } from '../../store/types.ts';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';

export function recordRoutes(api: FastifyInstance, c: ServerContext): void {
  api.get('/api/schemes', async () => ({
    schemes: await Promise.all(
      [...c.runtime.schemes.values()].map(async (rt) => ({
        id: rt.def.id,
        name: rt.def.name,
        enabled: rt.def.enabled,
        running: c.dispatcher.isActive(rt.def.id),
        // workspace file (read-only in the console) or made in the console
        origin: c.console?.config.schemeOrigin(rt.def.id) ?? 'workspace',
        source: { connector: rt.def.source.connector, api: rt.def.source.metadata.api },
        target: { connector: rt.def.target.connector, api: rt.def.target.metadata.api },
        counts: await c.store.countByStatus(rt.def.id),
      })),
    ),
  }));

  api.get('/api/schemes/:schemeId/records', async (req) => {
    const { schemeId } = req.params as { schemeId: string };
    if (!c.runtime.schemes.has(schemeId)) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
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
    return c.store.listRecords(schemeId, { status, limit, offset });
  });

  api.get('/api/schemes/:schemeId/records/:recordId', async (req) => {
    const { schemeId, recordId } = req.params as { schemeId: string; recordId: string };
    if (!c.runtime.schemes.has(schemeId)) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
    if (!/^\d+$/.test(recordId)) throw new HttpError(400, 'bad_request', 'record id must be a number', [{ path: 'recordId', message: 'integer' }]);
    const rec = await c.store.getRecord(schemeId, Number(recordId));
    if (!rec) throw new HttpError(404, 'not_found', `no record ${recordId} in scheme "${schemeId}"`);
    return rec;
  });

  // Dry run (预览): the exact target calls the samples would produce, batching included, every error listed.
  api.post('/api/schemes/:schemeId/preview', async (req) => {
    const rt = c.schemeOf(req);
    const body = req.body as { samples?: unknown; content?: unknown } | undefined;
    const samples = body?.samples ?? body?.content;
    if (!Array.isArray(samples) || samples.length === 0)
      throw new HttpError(400, 'bad_request', 'body must be {"samples": [record, …]}', [{ path: 'samples', message: 'required non-empty array' }]);
    try {
      return await previewScheme(
        { source: rt.def.source.metadata, target: rt.def.target.metadata, options: rt.def.options, maps: c.workspace.maps },
        samples,
        { lookup: (q) => c.store.lookup(q) },
      );
    } catch (e) {
      if (e instanceof ValidationError) throw new HttpError(400, 'bad_request', 'the scheme metadata is invalid', e.issues);
      throw e;
    }
  });

  // Start/stop (启动/停止): a stopped scheme keeps accepting pushes, as in QEasy, but sends nothing. Persisted.
  for (const action of ['start', 'stop'] as const)
    api.post(`/api/schemes/:schemeId/${action}`, async (req) => {
      const rt = c.schemeOf(req);
      rt.def.enabled = action === 'start';
      await c.store.setState(`scheme:${rt.def.id}`, { enabled: rt.def.enabled });
      if (action === 'start') c.dispatcher.startScheme(rt.def.id);
      else await c.dispatcher.stopScheme(rt.def.id);
      req.log.info({ scheme: rt.def.id, by: c.actor(req) }, `scheme ${action}`);
      return { id: rt.def.id, enabled: rt.def.enabled, running: c.dispatcher.isActive(rt.def.id) };
    });

  // Pause/resume a target connector: every scheme writing through it holds its records. Persisted.
  for (const action of ['pause', 'resume'] as const)
    api.post(`/api/connectors/:name/${action}`, async (req) => {
      const { name } = req.params as { name: string };
      const limiter = c.runtime.limiters.get(name);
      if (!limiter) throw new HttpError(404, 'not_found', `no target connector "${name}"`);
      limiter.setPaused(action === 'pause');
      await c.store.setState(`connector:${name}`, { paused: limiter.paused });
      if (action === 'resume') for (const rt of c.runtime.schemes.values()) if (rt.targetConnector.name === name) c.dispatcher.wake(rt.def.id);
      req.log.info({ connector: name, by: c.actor(req) }, `connector ${action}`);
      return { name, paused: limiter.paused, breakerState: limiter.breakerState };
    });

  // 重新排队 / 忽略 by ids or by filter. Records in flight are left alone.
  for (const action of ['requeue', 'ignore'] as const)
    api.post(`/api/schemes/:schemeId/records/${action}`, async (req) => {
      const rt = c.schemeOf(req);
      const filter = parseFilter(req.body);
      const n = await c.store[action](rt.def.id, filter, c.actor(req), Date.now());
      if (action === 'requeue' && n) c.dispatcher.wake(rt.def.id);
      return { [action === 'requeue' ? 'requeued' : 'ignored']: n };
    });

  // Edit a record's content and resubmit: checked against the source metadata like a push.
  api.put('/api/schemes/:schemeId/records/:recordId/content', async (req) => {
    const rt = c.schemeOf(req);
    const { recordId } = req.params as { recordId: string };
    const body = req.body as { content?: unknown } | undefined;
    if (!/^\d+$/.test(recordId)) throw new HttpError(400, 'bad_request', 'record id must be a number', [{ path: 'recordId', message: 'integer' }]);
    if (typeof body?.content !== 'object' || body.content === null || Array.isArray(body.content))
      throw new HttpError(400, 'bad_request', 'body must be {"content": {record}}', [{ path: 'content', message: 'required object' }]);
    const issues = rt.source.validate(body.content).map((i) => ({ ...i, path: `content.${i.path}` }));
    if (issues.length) throw new HttpError(400, 'bad_request', 'the new content does not match the source metadata', issues);
    const existing = await c.store.getRecord(rt.def.id, Number(recordId));
    if (!existing) throw new HttpError(404, 'not_found', `no record ${recordId} in scheme "${rt.def.id}"`);
    const newId = rt.source.idOf(body.content as Record<string, unknown>);
    if (newId !== existing.sourceId)
      throw new HttpError(400, 'bad_request', `the record id cannot change (was "${existing.sourceId}")`, [{ path: `content.${rt.def.source.metadata.id}`, message: 'must stay the same' }]);
    const json = JSON.stringify(body.content);
    await c.store.editContent(rt.def.id, existing.id, json, createHash('md5').update(json).digest('hex'), c.actor(req), Date.now());
    c.dispatcher.wake(rt.def.id);
    return c.store.getRecord(rt.def.id, existing.id);
  });
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
