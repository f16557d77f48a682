/**
 * Roles and what each may do on the management API:
 *   viewer   read everything (no secrets), preview and validate drafts
 *   operator viewer + run things: start/stop schemes, run now, pause/resume and test connectors,
 *            re-queue / ignore / edit and resubmit records
 *   admin    everything: connectors, schemes, apps, users, keys
 * A route's role comes from its `config.role`, else the operator list below, else GET = viewer and any other
 * method = admin, so a new route that forgets to say is admin-only rather than open.
 */
export type Role = 'admin' | 'operator' | 'viewer';
export const ROLES: Role[] = ['admin', 'operator', 'viewer'];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** Routes registered elsewhere (records, connectors) that operators may use. `METHOD url-pattern`. */
export const OPERATOR_ROUTES = new Set([
  'POST /api/schemes/:schemeId/start',
  'POST /api/schemes/:schemeId/stop',
  'POST /api/schemes/:schemeId/run',
  'POST /api/schemes/:schemeId/records/requeue',
  'POST /api/schemes/:schemeId/records/ignore',
  'PUT /api/schemes/:schemeId/records/:recordId/content',
  'POST /api/connectors/:name/pause',
  'POST /api/connectors/:name/resume',
  'POST /api/connectors/:name/test',
]);

export function requiredRole(method: string, url: string, configured?: Role): Role {
  if (configured) return configured;
  if (OPERATOR_ROUTES.has(`${method} ${url}`)) return 'operator';
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'admin';
}

export interface Principal {
  kind: 'user' | 'app';
  /** User name or app key. */
  name: string;
  role: Role;
  userId?: number;
  sessionId?: string;
}
