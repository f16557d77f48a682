/**
 * Schedules of schemes (app scope `admin`):
 *   GET  /api/schemes/{id}/schedule          both sides: cron, next run, LAST_SYNC_TIME, state, current page, last runs
 *   POST /api/schemes/{id}/run               run now: {"side": "source"|"target"|"both", "wait": true, "timeoutMs": 60000}
 *   PUT  /api/schemes/{id}/schedule/cursor   set LAST_SYNC_TIME: {"lastSyncTime": "2024-06-01 00:00:00" | ms | null}
 */
import type { FastifyInstance } from 'fastify';
import { schedulerOf } from '../../engine/scheduler/index.ts';
import { parseTimeSetting } from '../../engine/scheduler/config.ts';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';

export function scheduleRoutes(api: FastifyInstance, c: ServerContext): void {
  const scheduler = () => {
    const s = schedulerOf(c.runtime);
    if (!s) throw new HttpError(503, 'unavailable', 'the scheduler is not running');
    return s;
  };

  api.get('/api/schemes/:schemeId/schedule', async (req) => {
    const rt = c.schemeOf(req);
    const q = req.query as { runs?: string };
    const runs = q.runs === undefined ? 10 : Number(q.runs);
    if (!Number.isInteger(runs) || runs < 0 || runs > 200) throw new HttpError(400, 'bad_request', 'invalid query', [{ path: 'runs', message: 'integer 0..200' }]);
    return scheduler().status(rt.def.id, runs);
  });

  api.post('/api/schemes/:schemeId/run', async (req, reply) => {
    const rt = c.schemeOf(req);
    const s = scheduler();
    const b = (req.body ?? {}) as { side?: unknown; wait?: unknown; timeoutMs?: unknown };
    if (typeof b !== 'object' || Array.isArray(b)) throw new HttpError(400, 'bad_request', 'body must be a JSON object');
    const polled = Boolean(rt.sourcePlan);
    const side = b.side ?? (polled ? 'source' : 'target');
    if (side !== 'source' && side !== 'target' && side !== 'both')
      throw new HttpError(400, 'bad_request', 'invalid run request', [{ path: 'side', message: 'source, target or both' }]);
    if (b.wait !== undefined && typeof b.wait !== 'boolean') throw new HttpError(400, 'bad_request', 'invalid run request', [{ path: 'wait', message: 'true or false' }]);
    const timeoutMs = b.timeoutMs === undefined ? 60_000 : Number(b.timeoutMs);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 3_600_000)
      throw new HttpError(400, 'bad_request', 'invalid run request', [{ path: 'timeoutMs', message: 'integer 0..3600000' }]);
    if (!rt.def.enabled) throw new HttpError(409, 'conflict', `scheme ${rt.def.id} is stopped; start it first (POST /api/schemes/${rt.def.id}/start)`);
    const sides = side === 'both' ? (['source', 'target'] as const) : ([side] as const);
    if (sides.includes('source' as never) && !polled)
      throw new HttpError(400, 'bad_request', `the source of ${rt.def.id} (${rt.def.source.metadata.api}) is pushed, not polled; run its target instead`, [
        { path: 'side', message: 'this scheme has no polled source' },
      ]);
    const results: Record<string, { ok: boolean; message: string }> = {};
    for (const sd of sides) results[sd] = s.trigger(rt.def.id, sd, `manual:${c.actor(req)}`);
    req.log.info({ scheme: rt.def.id, side, by: c.actor(req) }, 'scheme run requested');
    let finished: boolean | undefined;
    if (b.wait && sides.includes('source' as never)) finished = await s.sourceIdle(rt.def.id, timeoutMs);
    reply.code(finished === false ? 202 : 200);
    return { scheme: rt.def.id, side, results, ...(finished === undefined ? {} : { finished }), schedule: await s.status(rt.def.id, 1) };
  });

  api.put('/api/schemes/:schemeId/schedule/cursor', async (req) => {
    const rt = c.schemeOf(req);
    if (!rt.sourcePlan) throw new HttpError(400, 'bad_request', `the source of ${rt.def.id} is not polled; it has no LAST_SYNC_TIME`);
    const b = (req.body ?? {}) as { lastSyncTime?: unknown };
    if (!('lastSyncTime' in b)) throw new HttpError(400, 'bad_request', 'body must be {"lastSyncTime": time | null}', [{ path: 'lastSyncTime', message: 'required (null = start over)' }]);
    let at: number | null = null;
    if (b.lastSyncTime !== null) {
      const v = b.lastSyncTime;
      const t = typeof v === 'number' ? v : typeof v === 'string' ? parseTimeSetting(v, rt.sourcePlan.timezone, scheduler().now()) : undefined;
      if (t === undefined || !Number.isFinite(t))
        throw new HttpError(400, 'bad_request', 'invalid lastSyncTime', [{ path: 'lastSyncTime', message: 'a date-time ("2024-06-01 00:00:00"), ms epoch, relative ("-1d") or null' }]);
      at = Math.floor(t / 1000) * 1000;
    }
    await scheduler().setCursor(rt.def.id, at, c.actor(req));
    req.log.info({ scheme: rt.def.id, lastSyncTime: at, by: c.actor(req) }, 'LAST_SYNC_TIME set');
    return scheduler().status(rt.def.id, 1);
  });
}
