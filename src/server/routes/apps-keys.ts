/**
 * OpenAPI apps and master keys (admin only):
 *   GET    /api/apps                      workspace apps (read-only) and console apps; never a secret
 *   POST   /api/apps                      {name, scopes} → app_key and app_secret, shown this once
 *   DELETE /api/apps/{appKey}             console apps; their tokens stop working at once
 *   POST   /api/apps/{appKey}/revoke      every token issued so far stops working (any app)
 *   GET    /api/keys                      master key source, current key id, sealed values per key id
 *   POST   /api/keys/rotate               re-encrypt every secret under a new key (key file) or the current env key
 *   GET    /api/workspace/export          workspace files plus console-made definitions as files (secrets as ${VAR})
 */
import type { FastifyInstance } from 'fastify';
import { keyUsage, rotateKeys } from '../../secrets/rotate.ts';
import { buildWorkspaceExport } from '../workspace-export.ts';
import type { ServerContext } from '../context.ts';
import type { ConsoleServices } from '../console-services.ts';
import { okObject, pick } from './schemas.ts';

const appParams = { type: 'object', required: ['appKey'], properties: { appKey: { type: 'string' } } } as const;

export function appKeyRoutes(api: FastifyInstance, c: ServerContext, s: ConsoleServices): void {
  const cfg = s.config;
  const admin = { role: 'admin' as const };

  api.get('/api/apps', { config: admin, schema: { tags: ['apps'], summary: '应用列表 OpenAPI apps', response: { 200: okObject('apps'), ...pick(401, 403) } } }, async () => ({
    apps: cfg.listApps().map((a) => ({ ...a, revokedBefore: cfg.revoked.get(a.app_key) ?? null })),
  }));

  api.post(
    '/api/apps',
    {
      schema: {
        tags: ['apps'],
        summary: '新建应用 Create an OpenAPI app (its secret is shown once)',
        body: {
          type: 'object',
          required: ['name', 'scopes'],
          properties: { name: { type: 'string', maxLength: 64 }, scopes: { type: 'array', items: { type: 'string', enum: ['push', 'admin'] }, minItems: 1 } },
          additionalProperties: false,
        },
        response: { 200: okObject('the app with its secret'), ...pick(400, 401, 403) },
      },
    },
    async (req) => cfg.createApp(req.body as { name: string; scopes: string[] }, c.actor(req)),
  );

  api.delete('/api/apps/:appKey', { schema: { tags: ['apps'], summary: '删除应用 Delete a console app', params: appParams, response: { 200: okObject('deleted'), ...pick(401, 403, 404, 409) } } }, async (req) => {
    cfg.deleteApp((req.params as { appKey: string }).appKey, c.actor(req));
    return { ok: true };
  });

  api.post('/api/apps/:appKey/revoke', { schema: { tags: ['apps'], summary: '吊销令牌 Revoke every token issued so far', params: appParams, response: { 200: okObject('revoked'), ...pick(401, 403, 404) } } }, async (req) =>
    cfg.revokeTokens((req.params as { appKey: string }).appKey, c.actor(req)),
  );

  api.get('/api/keys', { config: admin, schema: { tags: ['keys'], summary: '主密钥 Master key status', response: { 200: okObject('key status'), ...pick(401, 403) } } }, async () => ({
    source: cfg.keys.source,
    current: cfg.keys.current.id,
    available: cfg.keys.ids,
    usage: keyUsage(s.configStore),
  }));

  api.post('/api/keys/rotate', { schema: { tags: ['keys'], summary: '轮换密钥 Re-encrypt every secret under a new key', response: { 200: okObject('rotation result'), ...pick(401, 403) } } }, async (req) => {
    const { ring, result } = rotateKeys(cfg.keys, s.configStore);
    cfg.keys = ring;
    s.configStore.audit(c.actor(req), 'keys.rotate', ring.current.id, result);
    req.log.info({ to: result.to, reencrypted: result.reencrypted, by: c.actor(req) }, 'master key rotated');
    return result;
  });

  api.get(
    '/api/workspace/export',
    { config: admin, schema: { tags: ['workspace'], summary: '导出工作区 The workspace as files (what `qiao workspace export` writes)', response: { 200: okObject('{files, env, warnings}'), ...pick(401, 403) } } },
    async () =>
      buildWorkspaceExport({
        workspaceDir: c.workspace.dir,
        config: s.configStore,
        platforms: c.platforms,
        enabledOf: (id) => c.runtime.schemes.get(id)?.def.enabled,
      }),
  );
}
