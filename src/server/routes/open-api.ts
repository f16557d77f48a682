/**
 * QEasy-compatible open API: `POST /v2/oauth` for a token, then pushes into OpenCallback schemes
 * (`/v2/open-api/business/{schemeId}/store`, and the older `/api/open/operation/{schemeId}`).
 * The answer is sent only after the accepted records are committed (group commit).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Issue } from '../../errors.ts';
import { intakeRecords } from '../../engine/intake.ts';
import type { IdCheckMode } from '../../store/types.ts';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';
import { secretsEqual } from '../tokens.ts';

export function openApiRoutes(app: FastifyInstance, c: ServerContext): void {
  app.post('/v2/oauth', async (req) => {
    const body = req.body as Record<string, unknown> | undefined;
    const issues: Issue[] = [];
    for (const k of ['app_key', 'app_secret'])
      if (typeof body?.[k] !== 'string' || !body[k]) issues.push({ path: k, message: 'required string' });
    if (issues.length) throw new HttpError(400, 'bad_request', 'app_key and app_secret are required', issues);
    const appDef = c.appByKey.get(body!.app_key as string);
    if (!appDef || !secretsEqual(appDef.app_secret, body!.app_secret as string))
      throw new HttpError(401, 'unauthorized', 'unknown app_key or wrong app_secret');
    return c.tokens.issue(appDef);
  });

  const push = async (req: FastifyRequest, reply: FastifyReply) => {
    const { schemeId } = req.params as { schemeId: string };
    const rt = c.runtime.schemes.get(schemeId);
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
    const summary = await intakeRecords(rt, c.committer, body.content, {
      idCheck,
      origin: { remote: req.ip, requestId: req.id, app: req.claims?.app },
    });
    if (summary.accepted) c.dispatcher.wake(schemeId);
    for (const k of ['accepted', 'duplicate', 'filtered', 'rejected'] as const)
      if (summary[k]) c.metrics.intake.inc({ scheme: schemeId, outcome: k }, summary[k]);
    const nothingTaken = summary.accepted + summary.duplicate + summary.filtered === 0;
    reply.code(nothingTaken ? 400 : 200);
    return {
      code: nothingTaken ? 400 : 0,
      success: !nothingTaken,
      message: nothingTaken ? 'every record was rejected; nothing was stored' : 'ok',
      ...summary,
    };
  };
  app.post('/v2/open-api/business/:schemeId/store', { preHandler: c.authorize('push') }, push);
  app.post('/api/open/operation/:schemeId', { preHandler: c.authorize('push') }, push);
}
