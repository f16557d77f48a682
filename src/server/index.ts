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
import { EngineEvents } from '../engine/events.ts';
import { Metrics } from '../engine/metrics.ts';
import { buildRuntime, type Runtime } from '../engine/runtime.ts';
import { GroupCommitter } from '../engine/group-commit.ts';
import { attachScheduler, Scheduler, type SchedulerOptions } from '../engine/scheduler/index.ts';
import { SqliteSourceJobs } from '../store/sqlite/source-jobs.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/types.ts';
import { loadKeyRing } from '../secrets/keyring.ts';
import type { LoginLimits } from '../auth/login-limiter.ts';
import type { SessionOptions } from '../auth/sessions.ts';
import { buildApp } from './app.ts';
import { createConsoleServices, prepareFirstAdmin, type ConsoleServices } from './console-services.ts';
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
  /** Scheduled sources and targets (tests pass a business clock). */
  scheduler?: SchedulerOptions;
  /** The built console (default web/dist). */
  webDir?: string;
  sessions?: SessionOptions;
  loginLimits?: LoginLimits;
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
  scheduler: Scheduler;
  /** Users, sessions, console-made definitions; `console.firstAdmin` is set on a fresh install's first start. */
  console: ConsoleServices;
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
    // Connectors, apps and schemes made in the console join the workspace's (their secrets opened with the master key).
    const consoleServices = createConsoleServices({
      db: store.db,
      store,
      workspace,
      platforms,
      keys: loadKeyRing(o.dataDir, o.env ?? process.env),
      env,
      webDir: o.webDir,
      sessions: o.sessions,
      loginLimits: o.loginLimits,
    });
    consoleServices.config.loadInto();
    runtime = buildRuntime(workspace, platforms);
    consoleServices.config.addSchemesTo(runtime);
    await consoleServices.config.loadRevocations();
    await prepareFirstAdmin(consoleServices, o.env ?? process.env);
    for (const [schemeId, fields] of lookedUpFields(workspace.schemes)) await store.ensureLookupIndexes(schemeId, [...fields]);
    const tokens = new TokenIssuer(loadOrCreateKey(o.dataDir));
    // A start/stop done through the API outlives restarts and overrides the workspace file's `enabled`.
    for (const rt of runtime.schemes.values()) {
      const state = await store.getState<{ enabled?: boolean }>(`scheme:${rt.def.id}`);
      if (state?.enabled !== undefined) rt.def.enabled = state.enabled;
    }
    // Live list: schemes made in the console at run time are counted too.
    const schemeMap = runtime.schemes;
    const schemeIds = () => [...schemeMap.keys()];
    for (const [name, limiter] of runtime.limiters) {
      const state = await store.getState<{ paused?: boolean }>(`connector:${name}`);
      if (state?.paused) limiter.setPaused(true);
    }
    const limiters = runtime.limiters;
    const metrics = new Metrics(
      async () => Promise.all(schemeIds().map(async (scheme) => ({ scheme, counts: await store.countByStatus(scheme) }))),
      () => [...limiters].map(([connector, l]) => ({ connector, breakerState: l.breakerState, paused: l.paused })),
    );
    // The server's logger exists only once the app is built; the dispatcher logs through it from then on.
    let logger: { error(obj: unknown, msg?: string): void } | undefined;
    // Stored and delivered records, per scheme: upstream triggers listen.
    const events = new EngineEvents();
    const dispatcher = new Dispatcher(store, runtime.schemes, { ...o.dispatcher, metrics, events, log: { error: (obj, msg) => logger?.error(obj, msg) } });
    // One group committer for pushes and polled rows alike.
    const committer = new GroupCommitter(store, events);
    const app = await buildApp({ workspace, runtime, store, platforms, tokens, dispatcher, metrics, committer, bodyLimit: o.bodyLimit, logLevel: o.logLevel, console: consoleServices });
    logger = app.log;
    const scheduler = new Scheduler(
      { store, jobs: new SqliteSourceJobs(store.db), runtime, dispatcher, committer, events, metrics },
      { ...o.scheduler, log: o.scheduler?.log ?? app.log },
    );
    attachScheduler(runtime, scheduler);
    await app.listen({ port, host: o.host });
    // After listen: a target may be this server's own mounted sandbox. Schemes with a target schedule (执行定时)
    // are left out: the scheduler runs their dispatcher only during target runs.
    dispatcher.start(scheduler.scheduledTargets());
    scheduler.start();
    const alerts = new AlertMonitor({
      store,
      rules: workspace.settings.alerts,
      schemeIds,
      intervalMs: Number((o.env ?? process.env).QIAO_ALERT_INTERVAL_MS ?? 30_000),
      log: app.log,
    });
    alerts.start();
    consoleServices.startStats();
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
      scheduler,
      console: consoleServices,
      async close() {
        if (closed) return;
        closed = true;
        consoleServices.stop();
        await alerts.stop();
        await scheduler.stop(); // a page in flight is stored and settled first
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
