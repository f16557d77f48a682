/**
 * What route modules share: the loaded workspace and runtime, the store, the dispatcher, and `authorize(scope)`.
 * Each module in ./routes registers its routes from this context; app.ts only wires them.
 */
import type { FastifyRequest } from 'fastify';
import type { Platform } from '../connectors/types.ts';
import type { Dispatcher } from '../engine/dispatcher.ts';
import type { GroupCommitter } from '../engine/group-commit.ts';
import type { Metrics } from '../engine/metrics.ts';
import type { Runtime, SchemeRuntime } from '../engine/runtime.ts';
import type { AppDef, AppScope } from '../metadata/types.ts';
import type { Workspace } from '../metadata/workspace.ts';
import type { Store } from '../store/types.ts';
import type { Principal, Role } from '../auth/roles.ts';
import type { ConsoleServices } from './console-services.ts';
import { HttpError } from './http-errors.ts';
import { TOKEN_TTL_SECONDS, type TokenClaims, type TokenIssuer } from './tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
    /** Who is calling: a console user (session) or an OpenAPI app (token). */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The least role a console user needs for this management route (default: GET viewer, others admin). */
    role?: Role;
  }
}

/** What the HTTP app is built from (startQiao passes these). */
export interface AppOptions {
  workspace: Workspace;
  runtime: Runtime;
  store: Store;
  platforms: Map<string, Platform>;
  tokens: TokenIssuer;
  dispatcher: Dispatcher;
  metrics: Metrics;
  /** Group commit of pushed records (shared with the scheduler's polled rows). */
  committer: GroupCommitter;
  /** Largest accepted request body (bytes); larger pushes get 413. */
  bodyLimit?: number;
  logLevel?: string;
  /** Users, sessions, console-made connectors/schemes/apps, secrets; without it the management API takes admin tokens only. */
  console?: ConsoleServices;
}

/** What route modules get: the app's options plus the auth and lookup helpers built from them. */
export interface ServerContext extends AppOptions {
  appByKey: Map<string, AppDef>;
  /**
   * preHandler: a valid OpenAPI token of an app that has `scope`; for `admin` (the management API) a console
   * session whose user's role is enough for the route is accepted too.
   */
  authorize(scope: AppScope): (req: FastifyRequest) => Promise<void>;
  /** The scheme named by the `:schemeId` route param, or 404. */
  schemeOf(req: FastifyRequest): SchemeRuntime;
  /** Who did it, for records' histories and logs. */
  actor(req: FastifyRequest): string;
}

export function tokenOf(req: FastifyRequest): string | undefined {
  const q = req.query as Record<string, unknown>;
  if (typeof q.access_token === 'string' && q.access_token) return q.access_token;
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

export interface AuthorizeExtras {
  /** Console session of the request: its principal, undefined when there is no session cookie, or throws 401/403. */
  session?(req: FastifyRequest): Principal | undefined;
  /** Tokens of this app issued before this time (Unix seconds) are revoked. */
  revokedBefore?(appKey: string): number | undefined;
}

export function makeAuthorize(tokens: TokenIssuer, appByKey: Map<string, AppDef>, extras: AuthorizeExtras = {}) {
  return (scope: AppScope) => async (req: FastifyRequest) => {
    const token = tokenOf(req);
    if (!token && scope === 'admin' && extras.session) {
      const principal = extras.session(req);
      if (principal) {
        req.principal = principal;
        return;
      }
    }
    if (!token)
      throw new HttpError(401, 'unauthorized', scope === 'admin'
        ? 'sign in to the console, or send an admin app\'s access token (?access_token= or Authorization: Bearer; POST /v2/oauth)'
        : 'access token required (?access_token= or Authorization: Bearer); get one from POST /v2/oauth');
    const claims = tokens.verify(token);
    if ('error' in claims) throw new HttpError(401, 'unauthorized', claims.error);
    const appDef = appByKey.get(claims.app);
    if (!appDef) throw new HttpError(401, 'unauthorized', 'the app of this token no longer exists');
    const revokedBefore = extras.revokedBefore?.(claims.app);
    if (revokedBefore !== undefined && claims.exp - TOKEN_TTL_SECONDS < revokedBefore) throw new HttpError(401, 'unauthorized', 'access token revoked');
    if (!appDef.scopes.includes(scope)) throw new HttpError(403, 'forbidden', `this app lacks the "${scope}" scope`);
    req.claims = claims;
    if (scope === 'admin') req.principal = { kind: 'app', name: claims.app, role: 'admin' };
  };
}

export function makeSchemeOf(runtime: Runtime) {
  return (req: FastifyRequest): SchemeRuntime => {
    const { schemeId } = req.params as { schemeId: string };
    const rt = runtime.schemes.get(schemeId);
    if (!rt) throw new HttpError(404, 'not_found', `no scheme "${schemeId}"`);
    return rt;
  };
}
