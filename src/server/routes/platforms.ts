/**
 * Platforms and their API catalogues (标准API库) (management API):
 *   GET  /api/platforms                      every platform: label, envs, connector params, API list
 *   GET  /api/platforms/{platform}/apis/{api} one API with its full field metadata
 * Connectors (list, CRUD, test) are in ./connectors.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../connectors/types.ts';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-errors.ts';

export function platformSummary(p: Platform) {
  return {
    name: p.name,
    label: p.label,
    envs: p.envs,
    params: p.params,
    sandbox: Boolean(p.sandbox),
    apis: p.catalogue.map((a) => ({ name: a.name, label: a.label, direction: a.direction, batch: a.batch, query: a.query, describe: a.describe })),
  };
}

export function platformRoutes(api: FastifyInstance, c: ServerContext): void {
  api.get('/api/platforms', async () => ({ platforms: [...c.platforms.values()].map(platformSummary) }));

  api.get('/api/platforms/:platform/apis/:api', async (req) => {
    const { platform, api: name } = req.params as { platform: string; api: string };
    const p = c.platforms.get(platform);
    if (!p) throw new HttpError(404, 'not_found', `no platform "${platform}"`);
    const spec = p.catalogue.find((a) => a.name === name);
    if (!spec) throw new HttpError(404, 'not_found', `platform ${platform} has no API "${name}"`);
    return { platform: p.name, ...spec };
  });
}
