/**
 * Scheme definitions (集成方案) made in the console, beside the workspace's scheme files (read-only here):
 *   GET    /api/schemes/{id}                  definition, origin, version, running state
 *   POST   /api/schemes                       create (admin; starts stopped unless enabled: true)
 *   PUT    /api/schemes/{id}?version=N        save a new version (admin); N = the version you edited (409 if stale)
 *   DELETE /api/schemes/{id}                  (admin; stop it first; its records stay)
 *   POST   /api/schemes/validate              check a draft like a scheme file
 *   POST   /api/schemes/preview               dry run of a draft on samples (nothing is called)
 *   GET    /api/schemes/{id}/export[?side=]   the scheme file, or one side's QEasy metadata document
 *   POST   /api/schemes/import                a scheme file (or {id, name, source: metadata, target: metadata} with
 *                                             ?sourceConnector=&targetConnector=); ?replace=true saves a new version
 *   GET    /api/schemes/{id}/versions[/{v}]   history; GET …/versions/{v}/diff?against=w
 *   POST   /api/schemes/{id}/versions/{v}/restore
 *   GET    /api/schemes/{id}/push-help        push URL, example body, curl lines (OpenCallback sources)
 *   POST   /api/schemes/{id}/records/retry-now   bring scheduled retries forward (operator)
 *   POST   /api/mapping/infer | /api/mapping/suggest   field definitions from a sample; mapping suggestions
 *   GET    /api/maps                          the workspace's value maps (静态映射)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ValidationError } from '../../errors.ts';
import { inferFields } from '../../mapping/infer.ts';
import { previewScheme } from '../../mapping/preview.ts';
import { suggestMappings } from '../../mapping/suggest.ts';
import type { MetaParam } from '../../metadata/types.ts';
import type { ServerContext } from '../context.ts';
import type { ConsoleServices } from '../console-services.ts';
import { HttpError } from '../http-errors.ts';
import { jsonDiff } from '../json-diff.ts';
import { anyObject, okObject, pick, schemeBody, schemeIdParams } from './schemas.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const versionParams = {
  type: 'object',
  required: ['schemeId', 'version'],
  properties: { schemeId: { type: 'string' }, version: { type: 'integer', minimum: 1 } },
} as const;

const checkResult = okObject('validation result', {
  ok: { type: 'boolean' },
  issues: { type: 'array', items: anyObject },
  warnings: { type: 'array', items: anyObject },
});

export function schemeConfigRoutes(api: FastifyInstance, c: ServerContext, s: ConsoleServices): void {
  const cfg = s.config;

  const describe = async (id: string) => {
    const d = cfg.schemeDefinition(id);
    if (!d) throw new HttpError(404, 'not_found', `no scheme "${id}"`);
    const rt = c.runtime.schemes.get(id);
    return {
      id,
      scheme: d.def,
      origin: d.origin,
      readOnly: d.origin === 'workspace',
      version: d.version,
      updatedAt: d.updatedAt,
      updatedBy: d.updatedBy,
      enabled: rt?.def.enabled ?? false,
      running: c.dispatcher.isActive(id),
      compiled: Boolean(rt),
      problems: cfg.problems.filter((p) => p.kind === 'scheme' && p.name === id).map((p) => p.message),
      counts: await c.store.countByStatus(id),
    };
  };

  api.get(
    '/api/schemes/:schemeId',
    { schema: { tags: ['schemes'], summary: '方案定义 A scheme definition', params: schemeIdParams, response: { 200: okObject('definition and state'), ...pick(401, 403, 404) } } },
    async (req) => describe((req.params as { schemeId: string }).schemeId),
  );

  api.post(
    '/api/schemes',
    { schema: { tags: ['schemes'], summary: '新建方案 Create a scheme', body: schemeBody, response: { 200: okObject('created'), ...pick(400, 401, 403, 409) } } },
    async (req) => {
      const r = await cfg.createScheme(req.body, c.actor(req));
      return { ...(await describe(r.scheme.id)), warnings: r.warnings };
    },
  );

  api.put(
    '/api/schemes/:schemeId',
    {
      schema: {
        tags: ['schemes'],
        summary: '保存方案 Save a new version',
        params: schemeIdParams,
        querystring: { type: 'object', properties: { version: { type: 'integer', minimum: 1, description: 'the version you started editing from' }, note: { type: 'string', maxLength: 200 } } },
        body: { ...schemeBody, required: ['name', 'source', 'target'] },
        response: { 200: okObject('saved'), ...pick(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { schemeId } = req.params as { schemeId: string };
      const q = req.query as { version?: number; note?: string };
      const r = await cfg.updateScheme(schemeId, req.body, c.actor(req), { expectedVersion: q.version, note: q.note });
      return { ...(await describe(r.scheme.id)), warnings: r.warnings };
    },
  );

  api.delete(
    '/api/schemes/:schemeId',
    { schema: { tags: ['schemes'], summary: '删除方案 Delete a console scheme (records stay)', params: schemeIdParams, response: { 200: okObject('deleted'), ...pick(401, 403, 404, 409) } } },
    async (req) => {
      await cfg.deleteScheme((req.params as { schemeId: string }).schemeId, c.actor(req));
      return { ok: true };
    },
  );

  api.post(
    '/api/schemes/validate',
    { config: { role: 'viewer' }, schema: { tags: ['schemes'], summary: '校验方案 Check a draft', body: anyObject, response: { 200: checkResult, ...pick(401, 403) } } },
    async (req) => {
      const r = cfg.check(req.body);
      return { ok: r.issues.length === 0, issues: r.issues, warnings: r.warnings };
    },
  );

  api.post(
    '/api/schemes/preview',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['schemes'],
        summary: '预览 Dry run of a draft',
        description: 'The exact target calls the samples would produce, batching included; nothing is sent.',
        body: { type: 'object', required: ['scheme', 'samples'], properties: { scheme: anyObject, samples: { type: 'array', minItems: 1, maxItems: 500 } } },
        response: { 200: okObject('calls, per-sample errors, skipped samples, warnings'), ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const { scheme, samples } = req.body as { scheme: Record<string, unknown>; samples: unknown[] };
      const side = (k: 'source' | 'target') => (isObject(scheme[k]) ? (scheme[k] as Record<string, unknown>).metadata : undefined);
      const source = side('source');
      const target = side('target');
      if (!isObject(source) || !isObject(target))
        throw new HttpError(400, 'bad_request', 'scheme.source.metadata and scheme.target.metadata are required', [{ path: 'scheme', message: 'needs source.metadata and target.metadata' }]);
      try {
        return await previewScheme({ source: source as never, target: target as never, options: isObject(scheme.options) ? scheme.options : {}, maps: c.workspace.maps }, samples);
      } catch (e) {
        if (e instanceof ValidationError) throw new HttpError(400, 'bad_request', 'the scheme metadata has problems', e.issues);
        throw e;
      }
    },
  );

  api.get(
    '/api/schemes/:schemeId/export',
    {
      schema: {
        tags: ['schemes'],
        summary: '导出 Export the scheme file or one side’s QEasy metadata',
        params: schemeIdParams,
        querystring: { type: 'object', properties: { side: { type: 'string', enum: ['source', 'target'] }, download: { type: 'boolean' } } },
        response: { 200: anyObject, ...pick(401, 403, 404) },
      },
    },
    async (req, reply: FastifyReply) => {
      const { schemeId } = req.params as { schemeId: string };
      const q = req.query as { side?: 'source' | 'target'; download?: boolean };
      const d = cfg.schemeDefinition(schemeId);
      if (!d) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
      const out = q.side ? ((d.def[q.side] as { metadata?: unknown } | undefined)?.metadata ?? {}) : d.def;
      if (q.download) reply.header('content-disposition', `attachment; filename="${schemeId}${q.side ? `.${q.side}` : ''}.json"`);
      return out;
    },
  );

  api.post(
    '/api/schemes/import',
    {
      schema: {
        tags: ['schemes'],
        summary: '导入 Import a scheme file or a QEasy metadata pair',
        querystring: {
          type: 'object',
          properties: { replace: { type: 'boolean' }, sourceConnector: { type: 'string' }, targetConnector: { type: 'string' } },
        },
        body: anyObject,
        response: { 200: okObject('imported'), ...pick(400, 401, 403, 409) },
      },
    },
    async (req) => {
      const q = req.query as { replace?: boolean; sourceConnector?: string; targetConnector?: string };
      const body = { ...(req.body as Record<string, unknown>) };
      // A bare QEasy metadata document per side (it has `api`, no `metadata`): wrap it with the chosen connector.
      for (const [side, conn] of [['source', q.sourceConnector], ['target', q.targetConnector]] as const) {
        const v = body[side];
        if (isObject(v) && typeof v.api === 'string' && v.metadata === undefined) {
          if (!conn) throw new HttpError(400, 'bad_request', `${side} is a bare metadata document; say which connector it uses with ?${side}Connector=`, [{ path: side, message: 'connector needed' }]);
          body[side] = { connector: conn, metadata: v };
        }
      }
      const id = String(body.id ?? '');
      if (q.replace && cfg.storedScheme(id)) {
        const r = await cfg.updateScheme(id, body, c.actor(req), { note: 'imported' });
        return { ...(await describe(r.scheme.id)), warnings: r.warnings };
      }
      const r = await cfg.createScheme(body, c.actor(req), 'imported');
      return { ...(await describe(r.scheme.id)), warnings: r.warnings };
    },
  );

  // ------------------------------------------------------------- versions
  const requireStored = (id: string) => {
    if (!cfg.schemeDefinition(id)) throw new HttpError(404, 'not_found', `no scheme "${id}"`);
    if (cfg.schemeOrigin(id) !== 'console') throw new HttpError(409, 'read_only', `scheme "${id}" comes from a workspace file; its history is in git`);
  };

  api.get(
    '/api/schemes/:schemeId/versions',
    { schema: { tags: ['schemes'], summary: '版本历史 Version history', params: schemeIdParams, response: { 200: okObject('versions, newest first'), ...pick(401, 403, 404, 409) } } },
    async (req) => {
      const { schemeId } = req.params as { schemeId: string };
      requireStored(schemeId);
      return { versions: s.configStore.listSchemeVersions(schemeId), current: cfg.storedScheme(schemeId)?.version ?? null };
    },
  );

  api.get(
    '/api/schemes/:schemeId/versions/:version',
    { schema: { tags: ['schemes'], summary: '某个版本 One version', params: versionParams, response: { 200: okObject('the version with its definition'), ...pick(401, 403, 404, 409) } } },
    async (req) => {
      const { schemeId, version } = req.params as { schemeId: string; version: number };
      requireStored(schemeId);
      const v = s.configStore.getSchemeVersion(schemeId, version);
      if (!v) throw new HttpError(404, 'not_found', `scheme "${schemeId}" has no version ${version}`);
      return v;
    },
  );

  api.get(
    '/api/schemes/:schemeId/versions/:version/diff',
    {
      schema: {
        tags: ['schemes'],
        summary: '版本对比 What changed from one version to another',
        params: versionParams,
        querystring: { type: 'object', properties: { against: { type: 'integer', minimum: 1, description: 'compare with this version (default: the one before)' } } },
        response: { 200: okObject('changes as {path, op, before, after}'), ...pick(401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { schemeId, version } = req.params as { schemeId: string; version: number };
      requireStored(schemeId);
      const against = (req.query as { against?: number }).against;
      const to = s.configStore.getSchemeVersion(schemeId, version);
      if (!to) throw new HttpError(404, 'not_found', `scheme "${schemeId}" has no version ${version}`);
      let from = against !== undefined ? s.configStore.getSchemeVersion(schemeId, against) : undefined;
      if (against !== undefined && !from) throw new HttpError(404, 'not_found', `scheme "${schemeId}" has no version ${against}`);
      if (against === undefined) {
        const older = s.configStore.listSchemeVersions(schemeId).find((v) => v.version < version);
        from = older && s.configStore.getSchemeVersion(schemeId, older.version);
      }
      return { from: from?.version ?? null, to: version, changes: jsonDiff(from?.def ?? {}, to.def) };
    },
  );

  api.post(
    '/api/schemes/:schemeId/versions/:version/restore',
    { schema: { tags: ['schemes'], summary: '恢复版本 Save an old version as the newest', params: versionParams, response: { 200: okObject('restored as a new version'), ...pick(400, 401, 403, 404, 409) } } },
    async (req) => {
      const { schemeId, version } = req.params as { schemeId: string; version: number };
      requireStored(schemeId);
      const v = s.configStore.getSchemeVersion(schemeId, version);
      if (!v) throw new HttpError(404, 'not_found', `scheme "${schemeId}" has no version ${version}`);
      const r = await cfg.updateScheme(schemeId, v.def, c.actor(req), { note: `restored version ${version}` });
      return { ...(await describe(r.scheme.id)), warnings: r.warnings };
    },
  );

  // ------------------------------------------------------------ push help
  api.get(
    '/api/schemes/:schemeId/push-help',
    { schema: { tags: ['schemes'], summary: '推送帮助 How to push into an OpenCallback scheme', params: schemeIdParams, response: { 200: okObject('URLs, example body, curl lines'), ...pick(401, 403, 404) } } },
    async (req) => {
      const { schemeId } = req.params as { schemeId: string };
      const d = cfg.schemeDefinition(schemeId);
      if (!d) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
      const md = (d.def.source as { metadata?: { api?: string; request?: MetaParam[] } } | undefined)?.metadata;
      const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
      if (md?.api !== 'OpenCallback') return { push: false, message: `this scheme's source is ${md?.api ?? '?'}; it is not pushed into` };
      const example = { content: [exampleRecord(md.request ?? [])] };
      const url = `${base}/v2/open-api/business/${schemeId}/store`;
      const body = JSON.stringify(example);
      const pushApp = c.workspace.apps.find((a) => a.scopes.includes('push'));
      const appKey = pushApp?.app_key ?? 'YOUR_APP_KEY';
      return {
        push: true,
        url,
        legacyUrl: `${base}/api/open/operation/${schemeId}`,
        oauthUrl: `${base}/v2/oauth`,
        appKey: pushApp ? appKey : null,
        example,
        curl: {
          token: `curl -s -X POST '${base}/v2/oauth' -H 'Content-Type: application/json' -d '{"app_key":"${appKey}","app_secret":"YOUR_APP_SECRET"}'`,
          push: `curl -s -X POST '${url}?access_token=ACCESS_TOKEN' -H 'Content-Type: application/json' --data-binary '${body.replace(/'/g, "'\\''")}'`,
        },
      };
    },
  );

  api.post(
    '/api/schemes/:schemeId/records/retry-now',
    { schema: { tags: ['records'], summary: '立即重试 Bring every scheduled retry of the scheme forward', params: schemeIdParams, response: { 200: okObject('how many', { retried: { type: 'integer' } }), ...pick(401, 403, 404) } } },
    async (req) => {
      const rt = c.schemeOf(req);
      const n = s.queries.runNow(rt.def.id, c.actor(req), Date.now());
      if (n) c.dispatcher.wake(rt.def.id);
      s.configStore.audit(c.actor(req), 'records.retry_now', rt.def.id, { n });
      return { retried: n };
    },
  );

  // -------------------------------------------------------- mapping tools
  api.get(
    '/api/maps',
    { schema: { tags: ['mapping'], summary: '值映射 Value maps of the workspace', response: { 200: okObject('maps'), ...pick(401, 403) } } },
    async () => ({
      maps: Object.values(c.workspace.maps).map((m) => ({ name: m.name, entries: Object.keys((m as { entries?: object }).entries ?? {}).length })),
    }),
  );

  api.post(
    '/api/mapping/infer',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['mapping'],
        summary: '从样例生成字段 Field definitions from a sample payload',
        body: { type: 'object', required: ['sample'], properties: { sample: {} } },
        response: { 200: okObject('fields', { fields: { type: 'array', items: anyObject } }), ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const { sample } = req.body as { sample: unknown };
      const fields = inferFields(isObject(sample) && Array.isArray(sample.content) ? sample.content : sample);
      if (!fields.length) throw new HttpError(400, 'bad_request', 'the sample has no fields: give a JSON object (or a list, or {"content": [...]})', [{ path: 'sample', message: 'object with fields' }]);
      return { fields };
    },
  );

  api.post(
    '/api/mapping/suggest',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['mapping'],
        summary: '智能匹配 Suggest source fields for target fields',
        body: {
          type: 'object',
          required: ['target', 'source'],
          properties: { target: { type: 'array', items: anyObject }, source: { type: 'array', items: anyObject } },
        },
        response: { 200: okObject('suggestions {target, source, score, reason}', { suggestions: { type: 'array', items: anyObject } }), ...pick(400, 401, 403) },
      },
    },
    async (req) => {
      const { target, source } = req.body as { target: MetaParam[]; source: MetaParam[] };
      return { suggestions: suggestMappings(target, source) };
    },
  );
}

/** A record shaped like the source fields, for the push help's example body. */
export function exampleRecord(fields: MetaParam[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const now = new Date(Date.now() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19); // Beijing time
  for (const f of fields) {
    const name = f.field.includes('.') ? f.field.slice(f.field.lastIndexOf('.') + 1) : f.field;
    const t = String(f.type ?? 'string');
    if (t === 'array' || t === '多行分录') out[name] = [exampleRecord(f.children ?? [])];
    else if (t === 'object' || t === '子表对象') out[name] = exampleRecord(f.children ?? []);
    else if (t === 'int' || t === 'number' || t === '时间戳秒') out[name] = 1;
    else if (t === 'float') out[name] = '10.00';
    else if (t === 'boolean') out[name] = true;
    else if (t === 'datetime' || t === '长日期时间') out[name] = now;
    else if (t === 'date' || t === '短日期') out[name] = now.slice(0, 10);
    else out[name] = typeof f.value === 'string' && f.value && !f.value.includes('{{') ? f.value : exampleText(name, now);
  }
  return out;
}

/** A plausible value for a text field, guessed from its name (amounts, counts, codes, times, phones). */
function exampleText(name: string, now: string): string {
  const n = name.toLowerCase();
  if (/(amount|price|paid|fee|discount|money|total)$/.test(n)) return '10.00';
  if (/(num|qty|quantity|count)$/.test(n)) return '1';
  if (/(status|type|term|flag|kind)$/.test(n)) return '1';
  if (/(time|date)$/.test(n)) return now;
  if (/(mobile|phone|tel|telno)$/.test(n)) return '13800000000';
  return `${name}-001`;
}
