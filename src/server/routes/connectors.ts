/**
 * Connectors (连接器): workspace files (read-only here) and console-made ones (stored, secrets sealed).
 *   GET    /api/connectors                 every connector, secrets masked, origin, health
 *   GET    /api/connectors/{name}
 *   POST   /api/connectors                 create (admin)
 *   PUT    /api/connectors/{name}          edit (admin); secret params left out or "***" keep their value
 *   DELETE /api/connectors/{name}          (admin; refused while a scheme uses it)
 *   POST   /api/connectors/{name}/test     a harmless signed call (operator)
 *   POST   /api/connectors/test            test a connector form before saving it (admin)
 * Secrets are write-only: no answer ever contains one.
 */
import type { FastifyInstance } from 'fastify';
import { testConnector } from '../../engine/connector-check.ts';
import type { ServerContext } from '../context.ts';
import type { ConsoleServices } from '../console-services.ts';
import { HttpError } from '../http-errors.ts';
import { connectorBody, nameParams, okObject, pick } from './schemas.ts';

const connectorSchema = okObject('a connector; secret params show as "***" when set', {
  name: { type: 'string' },
  platform: { type: 'string' },
  env: { type: 'string' },
  params: { type: 'object', additionalProperties: true },
  secretsSet: { type: 'array', items: { type: 'string' } },
  origin: { type: 'string', enum: ['workspace', 'console'] },
  readOnly: { type: 'boolean' },
  paused: { type: 'boolean' },
  breakerState: { type: 'integer' },
  usedBy: { type: 'array', items: { type: 'string' } },
});

const testResult = okObject('test result', { name: { type: 'string' }, ok: { type: 'boolean' }, message: { type: 'string' }, durationMs: { type: 'number' } });

export function connectorRoutes(api: FastifyInstance, c: ServerContext, s: ConsoleServices): void {
  const cfg = s.config;

  api.get('/api/connectors', { schema: { tags: ['connectors'], summary: '连接器列表 Connectors', response: { 200: okObject('connectors', { connectors: { type: 'array', items: connectorSchema } }), ...pick(401, 403) } } }, async () => ({
    connectors: [...c.workspace.connectors.keys()].sort().map((name) => cfg.describeConnector(name)!),
  }));

  api.get('/api/connectors/:name', { schema: { tags: ['connectors'], summary: '连接器详情 One connector', params: nameParams, response: { 200: connectorSchema, ...pick(401, 403, 404) } } }, async (req) => {
    const { name } = req.params as { name: string };
    const d = cfg.describeConnector(name);
    if (!d) throw new HttpError(404, 'not_found', `no connector "${name}"`);
    return d;
  });

  api.post(
    '/api/connectors',
    { bodyLimit: 64 * 1024, schema: { tags: ['connectors'], summary: '新建连接器 Create a connector', body: { ...connectorBody, required: ['name', 'platform', 'env'] }, response: { 200: connectorSchema, ...pick(400, 401, 403, 409) } } },
    async (req) => cfg.createConnector(req.body as Record<string, unknown>, c.actor(req)),
  );

  api.put(
    '/api/connectors/:name',
    { bodyLimit: 64 * 1024, schema: { tags: ['connectors'], summary: '修改连接器 Edit a console connector', params: nameParams, body: connectorBody, response: { 200: connectorSchema, ...pick(400, 401, 403, 404, 409) } } },
    async (req) => {
      const { name } = req.params as { name: string };
      const body = req.body as Record<string, unknown>;
      if (body.name !== undefined && body.name !== name) throw new HttpError(400, 'bad_request', 'a connector cannot be renamed', [{ path: 'name', message: `must be "${name}"` }]);
      return cfg.updateConnector(name, body, c.actor(req));
    },
  );

  api.delete('/api/connectors/:name', { schema: { tags: ['connectors'], summary: '删除连接器 Delete a console connector', params: nameParams, response: { 200: okObject('deleted'), ...pick(401, 403, 404, 409) } } }, async (req) => {
    const { name } = req.params as { name: string };
    await cfg.deleteConnector(name, c.actor(req));
    return { ok: true };
  });

  api.post('/api/connectors/:name/test', { schema: { tags: ['connectors'], summary: '测试连接 Test a saved connector', params: nameParams, response: { 200: testResult, ...pick(401, 403, 404) } } }, async (req) => {
    const { name } = req.params as { name: string };
    const conn = c.workspace.connectors.get(name);
    if (!conn) throw new HttpError(404, 'not_found', `no connector "${name}"`);
    const r = await testConnector(c.platforms.get(conn.platform)!, conn);
    s.configStore.audit(c.actor(req), 'connector.test', name, { ok: r.ok });
    return r;
  });

  api.post(
    '/api/connectors/test',
    {
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['connectors'],
        summary: '测试未保存的连接器 Test a connector form before saving',
        description: 'With the name of a saved connector, secret params left out use the stored values.',
        body: connectorBody,
        response: { 200: testResult, ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const def = cfg.draftConnector(req.body as Record<string, unknown>);
      return testConnector(c.platforms.get(def.platform)!, def);
    },
  );
}
