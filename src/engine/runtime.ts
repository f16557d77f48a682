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
  close(): Promise<void>;
}

export function buildRuntime(ws: Workspace, platforms: Map<string, Platform>): Runtime {
  const clients = new Map<string, PlatformClient>();
  const limiters = new Map<string, CallLimiter>();
  const schemes = new Map<string, SchemeRuntime>();
  for (const def of ws.schemes) {
    const conn = ws.connectors.get(def.target.connector)!;
    const platform = platforms.get(conn.platform)!;
    if (!platform.connect) throw new Error(`platform ${platform.name} cannot be a target (no client)`);
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
    const targetApi = platform.catalogue.find((a) => a.name === def.target.metadata.api)!;
    const apiMax = targetApi.batch?.max ?? 1;
    const ladder = def.options.retryLadder ?? DEFAULT_RETRY_LADDER;
    schemes.set(def.id, {
      def,
      source: compileSource(def.source.metadata),
      target: compileTarget(def.target.metadata, { source: def.source.metadata, maps: ws.maps }),
      targetApi,
      targetConnector: conn,
      client,
      limiter: limiters.get(conn.name)!,
      batchSize: Math.min(def.options.batchSize ?? apiMax, apiMax),
      retryLadderMs: ladder.map((s) => s * 1000),
      maxRetries: def.options.maxRetries ?? ladder.length,
      idCheck: def.source.metadata.idCheck ?? true,
    });
  }
  return {
    schemes,
    limiters,
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
    },
  };
}
