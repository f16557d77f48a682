/**
 * Everything a loaded workspace needs at run time, compiled once: each scheme's source checks and target
 * mapping, its target API spec and client, and the per-connector limiters that schemes share.
 */
import type { ApiSpec, Platform, PlatformClient } from '../connectors/types.ts';
import type { ConnectorDef, SchemeDef } from '../metadata/types.ts';
import { DEFAULT_RETRY_LADDER, type Workspace } from '../metadata/workspace.ts';
import { compileSource, compileTarget, type CompiledSource, type CompiledTarget } from '../mapping/index.ts';
import type { IdCheckMode } from '../store/types.ts';
import type { Issue } from '../errors.ts';
import { ConnectorLimiter, type CallLimiter } from './limiter.ts';
import { apiOf, sourcePlan, targetPlan, type SourcePlan, type TargetPlan } from './scheduler/config.ts';

export interface SchemeRuntime {
  def: SchemeDef;
  source: CompiledSource;
  target: CompiledTarget;
  targetApi: ApiSpec;
  targetConnector: ConnectorDef;
  client: PlatformClient;
  limiter: CallLimiter;
  /** Records per target call: the scheme's batchSize capped by the API's maximum. */
  batchSize: number;
  retryLadderMs: number[];
  maxRetries: number;
  idCheck: IdCheckMode;
  /** Polled sources (API direction `query`): the API, its connector's client and limiter, and how it is read. */
  sourceApi?: ApiSpec;
  sourceConnector?: ConnectorDef;
  sourceClient?: PlatformClient;
  sourceLimiter?: CallLimiter;
  sourcePlan?: SourcePlan;
  /** 执行定时: when set, the target sends only during scheduled target runs (see engine/scheduler). */
  targetPlan?: TargetPlan;
}

export interface Runtime {
  schemes: Map<string, SchemeRuntime>;
  /** One limiter (rate, concurrency, breaker, pause) per target connector. */
  limiters: Map<string, CallLimiter>;
  /**
   * Compile one scheme (made or edited at run time, e.g. in the console) and put it in `schemes`, replacing the
   * previous one; its target connector's client and limiter are reused or created. Throws when it does not compile.
   * The caller stops the scheme's dispatcher loop first and starts it again afterwards.
   */
  addScheme(def: SchemeDef, connectors: Map<string, ConnectorDef>, maps: Workspace['maps']): SchemeRuntime;
  removeScheme(id: string): void;
  /** Close and forget a connector's client and limiter (its params changed); schemes using it must be added again. */
  dropConnector(name: string): Promise<void>;
  close(): Promise<void>;
}

export function buildRuntime(ws: Workspace, platforms: Map<string, Platform>): Runtime {
  const clients = new Map<string, PlatformClient>();
  const limiters = new Map<string, CallLimiter>();
  const schemes = new Map<string, SchemeRuntime>();
  const compile = (def: SchemeDef, connectors: Map<string, ConnectorDef>, maps: Workspace['maps']): SchemeRuntime => {
    const conn = connectors.get(def.target.connector);
    if (!conn) throw new Error(`scheme ${def.id}: unknown target connector "${def.target.connector}"`);
    const platform = platforms.get(conn.platform);
    if (!platform) throw new Error(`connector ${conn.name}: unknown platform "${conn.platform}"`);
    if (!platform.connect) throw new Error(`platform ${platform.name} cannot be a target (no client)`);
    const targetApi = apiOf(platform, conn.params, def.target.metadata.api, 'target');
    if (!targetApi) throw new Error(`scheme ${def.id}: platform ${platform.name} has no API "${def.target.metadata.api}"`);
    const source = compileSource(def.source.metadata);
    const target = compileTarget(def.target.metadata, { source: def.source.metadata, maps });
    const connectOnce = (conn: ConnectorDef, platform: Platform): PlatformClient => {
      let client = clients.get(conn.name);
      if (!client) {
        client = platform.connect!({ name: conn.name, env: conn.env, params: conn.params });
        clients.set(conn.name, client);
        limiters.set(conn.name, new ConnectorLimiter({
            concurrency: conn.limits?.concurrency,
            qps: conn.limits?.qps,
            breakerThreshold: conn.limits?.breakerThreshold,
            breakerCooldownMs: conn.limits?.breakerCooldownMs,
          }));
      }
      return client;
    };
    const client = connectOnce(conn, platform);
    const polled = pollingOf(def, connectors, connectOnce);
    const issues: Issue[] = [];
    const tPlan = targetPlan(def.target.schedule, `scheme ${def.id}: target.schedule`, issues);
    if (issues.length) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    const apiMax = targetApi.batch?.max ?? 1;
    const ladder = def.options.retryLadder ?? DEFAULT_RETRY_LADDER;
    return {
      def,
      source,
      target,
      targetApi,
      targetConnector: conn,
      client,
      limiter: limiters.get(conn.name)!,
      batchSize: Math.min(def.options.batchSize ?? apiMax, apiMax),
      retryLadderMs: ladder.map((s) => s * 1000),
      maxRetries: def.options.maxRetries ?? ladder.length,
      idCheck: def.source.metadata.idCheck ?? true,
      ...polled,
      ...(tPlan ? { targetPlan: tPlan } : {}),
    };
  };
  /** A query source: its API, client and limiter (shared per connector with targets), and its read plan. */
  const pollingOf = (
    def: SchemeDef,
    connectors: Map<string, ConnectorDef>,
    connectOnce: (conn: ConnectorDef, platform: Platform) => PlatformClient,
  ): Partial<SchemeRuntime> => {
    const conn = connectors.get(def.source.connector);
    const platform = conn && platforms.get(conn.platform);
    if (!conn || !platform) return {};
    const api = apiOf(platform, conn.params, def.source.metadata.api, 'source');
    if (!api || api.direction !== 'query') return {};
    if (!platform.connect) throw new Error(`scheme ${def.id}: platform ${platform.name} has no client to query ${api.name}`);
    const issues: Issue[] = [];
    const plan = sourcePlan(
      def.source.schedule,
      { metadata: def.source.metadata, api, findApi: (n) => apiOf(platform, conn.params, n, 'source') },
      `scheme ${def.id}: source.schedule`,
      issues,
    );
    if (issues.length) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    const client = connectOnce(conn, platform);
    if (!client.query) throw new Error(`scheme ${def.id}: the ${platform.name} client cannot query`);
    return { sourceApi: api, sourceConnector: conn, sourceClient: client, sourceLimiter: limiters.get(conn.name)!, sourcePlan: plan };
  };
  for (const def of ws.schemes) schemes.set(def.id, compile(def, ws.connectors, ws.maps));
  return {
    schemes,
    limiters,
    addScheme(def, connectors, maps) {
      const rt = compile(def, connectors, maps);
      schemes.set(def.id, rt);
      return rt;
    },
    removeScheme(id) {
      schemes.delete(id);
    },
    async dropConnector(name) {
      const client = clients.get(name);
      clients.delete(name);
      limiters.delete(name);
      await client?.close();
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
