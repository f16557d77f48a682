/**
 * `qiao serve` as a function: load the workspace, open the store, release claims a crashed run left behind,
 * build the runtime, start the dispatcher and listen. Used by the CLI and by tests (real HTTP on loopback).
 */
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadPlatforms } from '../connectors/registry.ts';
import { ValidationError } from '../errors.ts';
import { loadWorkspace, type Workspace } from '../metadata/workspace.ts';
import { Dispatcher, type DispatcherOptions } from '../engine/dispatcher.ts';
import { AlertMonitor } from '../engine/alerts.ts';
import { lookedUpFields } from '../engine/lookups.ts';
import { Metrics } from '../engine/metrics.ts';
import { buildRuntime, type Runtime } from '../engine/runtime.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { buildApp } from './app.ts';
import { loadOrCreateKey, TokenIssuer } from './tokens.ts';

export interface ServeOptions {
  workspace: string;
  dataDir: string;
  port: number;
  host: string;
  bodyLimit?: number;
  dispatcher?: DispatcherOptions;
  logLevel?: string;
  env?: Record<string, string | undefined>;
}

export interface RunningQiao {
  url: string;
  app: FastifyInstance;
  store: Store;
  runtime: Runtime;
  workspace: Workspace;
  tokens: TokenIssuer;
  dispatcher: Dispatcher;
  metrics: Metrics;
  alerts: AlertMonitor;
  close(): Promise<void>;
}

export async function startQiao(o: ServeOptions): Promise<RunningQiao> {
  const port = o.port === 0 ? await freePort(o.host) : o.port;
  const url = `http://${o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host}:${port}`;
  const platforms = await loadPlatforms();
  // QIAO_URL lets a workspace point a connector at this server's own mounted sandbox.
  const env = { ...(o.env ?? process.env), QIAO_URL: url };
  const { workspace, issues } = loadWorkspace(path.resolve(o.workspace), { platforms, env });
  if (!workspace) throw new ValidationError(issues, `workspace ${o.workspace} has ${issues.length} problem(s)`);

  const store = new SqliteStore({ dataDir: o.dataDir });
  let runtime: Runtime | undefined;
  try {
    await store.releaseAllClaims(Date.now());
    runtime = buildRuntime(workspace, platforms);
    for (const [schemeId, fields] of lookedUpFields(workspace.schemes)) await store.ensureLookupIndexes(schemeId, [...fields]);
    const tokens = new TokenIssuer(loadOrCreateKey(o.dataDir));
    // A start/stop done through the API outlives restarts and overrides the workspace file's `enabled`.
    for (const rt of runtime.schemes.values()) {
      const state = await store.getState<{ enabled?: boolean }>(`scheme:${rt.def.id}`);
      if (state?.enabled !== undefined) rt.def.enabled = state.enabled;
    }
    const schemeIds = [...runtime.schemes.keys()];
    for (const [name, limiter] of runtime.limiters) {
      const state = await store.getState<{ paused?: boolean }>(`connector:${name}`);
      if (state?.paused) limiter.setPaused(true);
    }
    const limiters = runtime.limiters;
    const metrics = new Metrics(
      async () => Promise.all(schemeIds.map(async (scheme) => ({ scheme, counts: await store.countByStatus(scheme) }))),
      () => [...limiters].map(([connector, l]) => ({ connector, breakerState: l.breakerState, paused: l.paused })),
    );
    const dispatcher = new Dispatcher(store, runtime.schemes, { ...o.dispatcher, metrics });
    const app = await buildApp({ workspace, runtime, store, platforms, tokens, dispatcher, metrics, bodyLimit: o.bodyLimit, logLevel: o.logLevel });
    await app.listen({ port, host: o.host });
    // After listen: a target may be this server's own mounted sandbox.
    dispatcher.start();
    const alerts = new AlertMonitor({
      store,
      rules: workspace.settings.alerts,
      schemeIds: () => schemeIds,
      intervalMs: Number((o.env ?? process.env).QIAO_ALERT_INTERVAL_MS ?? 30_000),
      log: app.log,
    });
    alerts.start();
    const rt = runtime;
    let closed = false;
    return {
      url,
      app,
      store,
      runtime,
      workspace,
      tokens,
      dispatcher,
      metrics,
      alerts,
      async close() {
        if (closed) return;
        closed = true;
        await alerts.stop();
        await app.close(); // stops accepting; pending pushes are committed first
        await dispatcher.stop(); // in-flight calls finish and settle
        await rt.close();
        await store.close();
      },
    };
  } catch (e) {
    await runtime?.close();
    await store.close();
    throw e;
  }
}

/** A free loopback port (the kernel picks one), for `--port 0`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
