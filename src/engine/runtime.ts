/**
 * Everything a loaded workspace needs at run time, compiled once: each scheme's source checks and target
 * mapping, its target API spec and client, and the per-connector limiters that schemes share.
 */
import type { ApiSpec, Platform, PlatformClient } from '../connectors/types.ts';
import type { ConnectorDef, SchemeDef } from '../metadata/types.ts';
import { DEFAULT_RETRY_LADDER, type Workspace } from '../metadata/workspace.ts';
import { compileSource, compileTarget, type CompiledSource, type CompiledTarget } from '../mapping/index.ts';
import type { IdCheckMode } from '../store/types.ts';
import { ConnectorLimiter, type CallLimiter } from './limiter.ts';

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
    const targetApi = platform.catalogue.find((a) => a.name === def.target.metadata.api);
    if (!targetApi) throw new Error(`scheme ${def.id}: platform ${platform.name} has no API "${def.target.metadata.api}"`);
    const source = compileSource(def.source.metadata);
    const target = compileTarget(def.target.metadata, { source: def.source.metadata, maps });
    let client = clients.get(conn.name);
    if (!client) {
      client = platform.connect({ name: conn.name, env: conn.env, params: conn.params });
      clients.set(conn.name, client);
      limiters.set(conn.name, new ConnectorLimiter({
          concurrency: conn.limits?.concurrency,
          qps: conn.limits?.qps,
          breakerThreshold: conn.limits?.breakerThreshold,
          breakerCooldownMs: conn.limits?.breakerCooldownMs,
        }));
    }
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
    };
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
