/**
 * Everything the console and its management routes need beyond the engine: users and sessions, the sign-in rate
 * limit, the master key ring, console-made definitions (ConfigService), read queries and the dashboard counters.
 * Built once by startQiao on the record store's database.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { LoginLimiter, type LoginLimits } from '../auth/login-limiter.ts';
import { SessionManager, type SessionOptions } from '../auth/sessions.ts';
import { ensureFirstAdmin } from '../auth/users.ts';
import type { Platform } from '../connectors/types.ts';
import type { Workspace } from '../metadata/workspace.ts';
import type { KeyRing } from '../secrets/keyring.ts';
import { ConfigStore } from '../store/sqlite/config-store.ts';
import { ConsoleQueries, StatsFolder } from '../store/sqlite/console-queries.ts';
import type { Store } from '../store/types.ts';
import { ConfigService } from './config-service.ts';

export interface ConsoleServices {
  configStore: ConfigStore;
  config: ConfigService;
  sessions: SessionManager;
  loginLimiter: LoginLimiter;
  queries: ConsoleQueries;
  stats: StatsFolder;
  /** Folder of the built console (index.html + assets). */
  webDir: string;
  /** Set on the first start of a fresh install: the admin account made then (password only when generated). */
  firstAdmin?: { username: string; password?: string };
  startStats(intervalMs?: number): void;
  stop(): void;
}

export const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export interface ConsoleServicesOptions {
  db: Database.Database;
  store: Store;
  workspace: Workspace;
  platforms: Map<string, Platform>;
  keys: KeyRing;
  env: Record<string, string | undefined>;
  webDir?: string;
  sessions?: SessionOptions;
  loginLimits?: LoginLimits;
}

export function createConsoleServices(o: ConsoleServicesOptions): ConsoleServices {
  const configStore = new ConfigStore(o.db);
  const config = new ConfigService({ workspace: o.workspace, platforms: o.platforms, store: o.store, config: configStore, keys: o.keys, env: o.env });
  const stats = new StatsFolder(o.db, configStore);
  let timer: NodeJS.Timeout | undefined;
  const sessions = new SessionManager(configStore, o.sessions);
  const services: ConsoleServices = {
    configStore,
    config,
    sessions,
    loginLimiter: new LoginLimiter(o.loginLimits),
    queries: new ConsoleQueries(o.db),
    stats,
    webDir: o.webDir ?? DEFAULT_WEB_DIR,
    startStats(intervalMs = 10_000) {
      if (timer) return;
      const tick = () => {
        timer = undefined;
        let more = false;
        try {
          more = stats.fold();
          configStore.pruneStats(Date.now() - 8 * 24 * 3600_000);
          configStore.deleteExpiredSessions(Date.now(), sessions.idleMs);
        } catch {
          // The store is closing; the next start continues from the saved cursor.
          return;
        }
        timer = setTimeout(tick, more ? 50 : intervalMs);
        timer.unref();
      };
      timer = setTimeout(tick, 0);
      timer.unref();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
  return services;
}

/** First start of a fresh install: make the admin account (see ensureFirstAdmin). */
export async function prepareFirstAdmin(services: ConsoleServices, env: Record<string, string | undefined>): Promise<void> {
  services.firstAdmin = await ensureFirstAdmin(services.configStore, env);
}
