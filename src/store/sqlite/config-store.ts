/**
 * What the console changes, kept in the same SQLite file as the records (its own tables): users and sessions,
 * connectors (secrets sealed, see src/secrets), schemes with every saved version, OpenAPI apps, an audit trail of
 * operator actions, and per-minute counters for the dashboard. Workspace files stay untouched; the console's
 * definitions sit beside them and `qiao workspace export` writes both out as one folder.
 */
import type Database from 'better-sqlite3';
import type { Role } from '../../auth/roles.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS console_users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT,
  password_hash TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  last_login_at INTEGER
);
CREATE TABLE IF NOT EXISTS console_sessions (
  id            TEXT    PRIMARY KEY,          -- sha256 of the cookie value; the value itself is never stored
  user_id       INTEGER NOT NULL,
  csrf          TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  last_seen_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  ip            TEXT,
  user_agent    TEXT
);
CREATE INDEX IF NOT EXISTS console_sessions_user ON console_sessions (user_id);
CREATE TABLE IF NOT EXISTS config_connectors (
  name        TEXT    PRIMARY KEY,
  platform    TEXT    NOT NULL,
  env         TEXT    NOT NULL,
  params      TEXT    NOT NULL,               -- non-secret params (JSON)
  secrets     TEXT    NOT NULL,               -- {param: sealed value} (JSON)
  limits      TEXT,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  created_by  TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS config_schemes (
  id          TEXT    PRIMARY KEY,
  def         TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  created_by  TEXT    NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS config_scheme_versions (
  scheme_id   TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  def         TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  note        TEXT,
  PRIMARY KEY (scheme_id, version)
);
CREATE TABLE IF NOT EXISTS config_apps (
  app_key     TEXT    PRIMARY KEY,
  name        TEXT    NOT NULL,
  secret      TEXT    NOT NULL,               -- sealed
  scopes      TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  created_by  TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS console_audit (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  target      TEXT,
  detail      TEXT
);
CREATE TABLE IF NOT EXISTS console_stats (
  scheme_id   TEXT    NOT NULL,
  minute      INTEGER NOT NULL,               -- ms epoch of the minute's start
  intake      INTEGER NOT NULL DEFAULT 0,
  done        INTEGER NOT NULL DEFAULT 0,
  error       INTEGER NOT NULL DEFAULT 0,
  retry       INTEGER NOT NULL DEFAULT 0,
  calls_ok    INTEGER NOT NULL DEFAULT 0,
  calls_failed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scheme_id, minute)
);
CREATE TABLE IF NOT EXISTS console_meta (
  key         TEXT PRIMARY KEY,
  value       TEXT NOT NULL
);
`;

export interface UserRow {
  id: number;
  username: string;
  displayName: string | null;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | null;
}

export interface SessionRow {
  id: string;
  userId: number;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface StoredConnector {
  name: string;
  platform: string;
  env: string;
  params: Record<string, unknown>;
  /** Sealed secret values by param name. */
  secrets: Record<string, string>;
  limits: Record<string, number> | null;
  version: number;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface StoredScheme {
  id: string;
  def: Record<string, unknown>;
  version: number;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

export interface SchemeVersion {
  schemeId: string;
  version: number;
  at: number;
  actor: string;
  note: string | null;
  def?: Record<string, unknown>;
}

export interface StoredApp {
  appKey: string;
  name: string;
  /** Sealed. */
  secret: string;
  scopes: string[];
  createdAt: number;
  createdBy: string;
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  detail: unknown;
}

export interface StatsBucket {
  schemeId: string;
  minute: number;
  intake: number;
  done: number;
  error: number;
  retry: number;
  callsOk: number;
  callsFailed: number;
}

const j = (v: unknown) => JSON.stringify(v);

interface RawUser {
  id: number;
  username: string;
  display_name: string | null;
  password_hash: string;
  role: string;
  disabled: number;
  must_change_password: number;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

const toUser = (r: RawUser): UserRow => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role as Role,
  disabled: r.disabled === 1,
  mustChangePassword: r.must_change_password === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  lastLoginAt: r.last_login_at,
});

export class ConfigStore {
  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ------------------------------------------------------------------ users
  countUsers(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM console_users').get() as { n: number }).n;
  }

  countActiveAdmins(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM console_users WHERE role = 'admin' AND disabled = 0").get() as { n: number }).n;
  }

  listUsers(): UserRow[] {
    return (this.db.prepare('SELECT * FROM console_users ORDER BY id').all() as RawUser[]).map(toUser);
  }

  getUser(id: number): UserRow | undefined {
    const r = this.db.prepare('SELECT * FROM console_users WHERE id = ?').get(id) as RawUser | undefined;
    return r && toUser(r);
  }

  /** The user and its password hash, for sign-in. */
  findUserForLogin(username: string): (UserRow & { passwordHash: string }) | undefined {
    const r = this.db.prepare('SELECT * FROM console_users WHERE username = ?').get(username) as RawUser | undefined;
    return r && { ...toUser(r), passwordHash: r.password_hash };
  }

  passwordHashOf(id: number): string | undefined {
    return (this.db.prepare('SELECT password_hash FROM console_users WHERE id = ?').get(id) as { password_hash: string } | undefined)?.password_hash;
  }

  insertUser(u: { username: string; displayName?: string | null; passwordHash: string; role: Role; mustChangePassword?: boolean }, now: number): UserRow {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO console_users (username, display_name, password_hash, role, must_change_password, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(u.username, u.displayName ?? null, u.passwordHash, u.role, u.mustChangePassword ? 1 : 0, now, now).lastInsertRowid,
    );
    return this.getUser(id)!;
  }

  updateUser(id: number, patch: { role?: Role; disabled?: boolean; displayName?: string | null; passwordHash?: string; mustChangePassword?: boolean }, now: number): void {
    const sets: string[] = [];
    const args: unknown[] = [];
    if (patch.role !== undefined) sets.push('role = ?'), args.push(patch.role);
    if (patch.disabled !== undefined) sets.push('disabled = ?'), args.push(patch.disabled ? 1 : 0);
    if (patch.displayName !== undefined) sets.push('display_name = ?'), args.push(patch.displayName);
    if (patch.passwordHash !== undefined) sets.push('password_hash = ?'), args.push(patch.passwordHash);
    if (patch.mustChangePassword !== undefined) sets.push('must_change_password = ?'), args.push(patch.mustChangePassword ? 1 : 0);
    if (!sets.length) return;
    this.db.prepare(`UPDATE console_users SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`).run(...args, now, id);
  }

  touchLogin(id: number, now: number): void {
    this.db.prepare('UPDATE console_users SET last_login_at = ? WHERE id = ?').run(now, id);
  }

  deleteUser(id: number): void {
    this.transaction(() => {
      this.db.prepare('DELETE FROM console_sessions WHERE user_id = ?').run(id);
      this.db.prepare('DELETE FROM console_users WHERE id = ?').run(id);
    });
  }

  // --------------------------------------------------------------- sessions
  insertSession(s: SessionRow & { ip?: string; userAgent?: string }): void {
    this.db
      .prepare(
        `INSERT INTO console_sessions (id, user_id, csrf, created_at, last_seen_at, expires_at, ip, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.id, s.userId, s.csrf, s.createdAt, s.lastSeenAt, s.expiresAt, s.ip ?? null, s.userAgent ?? null);
  }

  getSession(id: string): SessionRow | undefined {
    const r = this.db.prepare('SELECT * FROM console_sessions WHERE id = ?').get(id) as
      | { id: string; user_id: number; csrf: string; created_at: number; last_seen_at: number; expires_at: number }
      | undefined;
    return r && { id: r.id, userId: r.user_id, csrf: r.csrf, createdAt: r.created_at, lastSeenAt: r.last_seen_at, expiresAt: r.expires_at };
  }

  touchSession(id: string, now: number): void {
    this.db.prepare('UPDATE console_sessions SET last_seen_at = ? WHERE id = ?').run(now, id);
  }

  deleteSession(id: string): void {
    this.db.prepare('DELETE FROM console_sessions WHERE id = ?').run(id);
  }

  /** Sign a user out everywhere (password changed, disabled, deleted), optionally keeping one session. */
  deleteSessionsOf(userId: number, keep?: string): void {
    this.db.prepare('DELETE FROM console_sessions WHERE user_id = ? AND id != ?').run(userId, keep ?? '');
  }

  deleteExpiredSessions(now: number, idleMs: number): number {
    return this.db.prepare('DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?').run(now, now - idleMs).changes;
  }

  // ------------------------------------------------------------- connectors
  listConnectors(): StoredConnector[] {
    return (this.db.prepare('SELECT * FROM config_connectors ORDER BY name').all() as RawConnector[]).map(toConnector);
  }

  getConnector(name: string): StoredConnector | undefined {
    const r = this.db.prepare('SELECT * FROM config_connectors WHERE name = ?').get(name) as RawConnector | undefined;
    return r && toConnector(r);
  }

  /** Insert (version 1) or replace (version + 1) a connector. */
  putConnector(c: Omit<StoredConnector, 'version' | 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'>, actor: string, now: number): StoredConnector {
    const prev = this.getConnector(c.name);
    if (prev)
      this.db
        .prepare('UPDATE config_connectors SET platform = ?, env = ?, params = ?, secrets = ?, limits = ?, version = version + 1, updated_at = ?, updated_by = ? WHERE name = ?')
        .run(c.platform, c.env, j(c.params), j(c.secrets), c.limits ? j(c.limits) : null, now, actor, c.name);
    else
      this.db
        .prepare(
          `INSERT INTO config_connectors (name, platform, env, params, secrets, limits, version, created_at, created_by, updated_at, updated_by)
           VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
        )
        .run(c.name, c.platform, c.env, j(c.params), j(c.secrets), c.limits ? j(c.limits) : null, now, actor, now, actor);
    return this.getConnector(c.name)!;
  }

  deleteConnector(name: string): boolean {
    return this.db.prepare('DELETE FROM config_connectors WHERE name = ?').run(name).changes > 0;
  }

  // ---------------------------------------------------------------- schemes
  listSchemes(): StoredScheme[] {
    return (this.db.prepare('SELECT * FROM config_schemes ORDER BY id').all() as RawScheme[]).map(toScheme);
  }

  getScheme(id: string): StoredScheme | undefined {
    const r = this.db.prepare('SELECT * FROM config_schemes WHERE id = ?').get(id) as RawScheme | undefined;
    return r && toScheme(r);
  }

  /**
   * Save a scheme as a new version, in one transaction with its history row. `expectedVersion` (the version the
   * editor started from) guards against two people overwriting each other: a mismatch returns `conflict`.
   */
  saveScheme(
    id: string,
    def: Record<string, unknown>,
    actor: string,
    now: number,
    opts: { expectedVersion?: number; note?: string; create?: boolean } = {},
  ): { ok: true; scheme: StoredScheme } | { ok: false; conflict: 'exists' | 'missing' | 'version'; current?: number } {
    return this.transaction(() => {
      const prev = this.getScheme(id);
      if (opts.create && prev) return { ok: false as const, conflict: 'exists' as const, current: prev.version };
      if (!opts.create && !prev) return { ok: false as const, conflict: 'missing' as const };
      if (prev && opts.expectedVersion !== undefined && opts.expectedVersion !== prev.version)
        return { ok: false as const, conflict: 'version' as const, current: prev.version };
      // Versions continue after a delete and re-create, so history never repeats a number.
      const last = (this.db.prepare('SELECT MAX(version) AS v FROM config_scheme_versions WHERE scheme_id = ?').get(id) as { v: number | null }).v ?? 0;
      const version = last + 1;
      if (prev)
        this.db.prepare('UPDATE config_schemes SET def = ?, version = ?, updated_at = ?, updated_by = ? WHERE id = ?').run(j(def), version, now, actor, id);
      else
        this.db
          .prepare('INSERT INTO config_schemes (id, def, version, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(id, j(def), version, now, actor, now, actor);
      this.db
        .prepare('INSERT INTO config_scheme_versions (scheme_id, version, def, at, actor, note) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, version, j(def), now, actor, opts.note ?? null);
      return { ok: true as const, scheme: this.getScheme(id)! };
    });
  }

  deleteScheme(id: string): boolean {
    return this.db.prepare('DELETE FROM config_schemes WHERE id = ?').run(id).changes > 0;
  }

  listSchemeVersions(id: string): SchemeVersion[] {
    return (
      this.db.prepare('SELECT scheme_id, version, at, actor, note FROM config_scheme_versions WHERE scheme_id = ? ORDER BY version DESC').all(id) as Array<{
        scheme_id: string;
        version: number;
        at: number;
        actor: string;
        note: string | null;
      }>
    ).map((r) => ({ schemeId: r.scheme_id, version: r.version, at: r.at, actor: r.actor, note: r.note }));
  }

  getSchemeVersion(id: string, version: number): SchemeVersion | undefined {
    const r = this.db.prepare('SELECT * FROM config_scheme_versions WHERE scheme_id = ? AND version = ?').get(id, version) as
      | { scheme_id: string; version: number; def: string; at: number; actor: string; note: string | null }
      | undefined;
    return r && { schemeId: r.scheme_id, version: r.version, at: r.at, actor: r.actor, note: r.note, def: JSON.parse(r.def) };
  }

  // ------------------------------------------------------------------- apps
  listApps(): StoredApp[] {
    return (this.db.prepare('SELECT * FROM config_apps ORDER BY app_key').all() as RawApp[]).map(toApp);
  }

  getApp(appKey: string): StoredApp | undefined {
    const r = this.db.prepare('SELECT * FROM config_apps WHERE app_key = ?').get(appKey) as RawApp | undefined;
    return r && toApp(r);
  }

  insertApp(a: StoredApp): void {
    this.db
      .prepare('INSERT INTO config_apps (app_key, name, secret, scopes, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)')
      .run(a.appKey, a.name, a.secret, j(a.scopes), a.createdAt, a.createdBy);
  }

  updateAppSecret(appKey: string, sealed: string): void {
    this.db.prepare('UPDATE config_apps SET secret = ? WHERE app_key = ?').run(sealed, appKey);
  }

  deleteApp(appKey: string): boolean {
    return this.db.prepare('DELETE FROM config_apps WHERE app_key = ?').run(appKey).changes > 0;
  }

  // -------------------------------------------------------------- secrets
  /** Every sealed value with the context it was sealed under (for key rotation and status). */
  sealedValues(): Array<{ kind: 'connector' | 'app'; owner: string; param?: string; sealed: string; context: string }> {
    const out: Array<{ kind: 'connector' | 'app'; owner: string; param?: string; sealed: string; context: string }> = [];
    for (const c of this.listConnectors())
      for (const [param, sealed] of Object.entries(c.secrets)) out.push({ kind: 'connector', owner: c.name, param, sealed, context: connectorSecretContext(c.name, param) });
    for (const a of this.listApps()) out.push({ kind: 'app', owner: a.appKey, sealed: a.secret, context: appSecretContext(a.appKey) });
    return out;
  }

  /** Replace sealed values (rotation), in the caller's transaction. */
  replaceConnectorSecrets(name: string, secrets: Record<string, string>): void {
    this.db.prepare('UPDATE config_connectors SET secrets = ? WHERE name = ?').run(j(secrets), name);
  }

  // ------------------------------------------------------------------ audit
  audit(actor: string, action: string, target: string | null, detail: unknown, now = Date.now()): void {
    this.db.prepare('INSERT INTO console_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').run(now, actor, action, target, detail === undefined ? null : j(detail));
  }

  listAudit(q: { limit: number; offset: number; actor?: string; action?: string }): { total: number; rows: AuditRow[] } {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (q.actor) parts.push('actor = ?'), args.push(q.actor);
    if (q.action) parts.push('action LIKE ?'), args.push(`${q.action}%`);
    const where = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM console_audit ${where}`).get(...args) as { n: number }).n;
    const rows = (this.db.prepare(`SELECT * FROM console_audit ${where} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset) as Array<{
      id: number;
      at: number;
      actor: string;
      action: string;
      target: string | null;
      detail: string | null;
    }>).map((r) => ({ ...r, detail: r.detail == null ? null : JSON.parse(r.detail) }));
    return { total, rows };
  }

  // ------------------------------------------------------------------ stats
  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM console_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO console_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  addStats(buckets: StatsBucket[]): void {
    const up = this.db.prepare(
      `INSERT INTO console_stats (scheme_id, minute, intake, done, error, retry, calls_ok, calls_failed)
       VALUES (@schemeId, @minute, @intake, @done, @error, @retry, @callsOk, @callsFailed)
       ON CONFLICT (scheme_id, minute) DO UPDATE SET intake = intake + excluded.intake, done = done + excluded.done,
         error = error + excluded.error, retry = retry + excluded.retry, calls_ok = calls_ok + excluded.calls_ok,
         calls_failed = calls_failed + excluded.calls_failed`,
    );
    for (const b of buckets) up.run(b);
  }

  statsSince(from: number, schemeId?: string): StatsBucket[] {
    const rows = this.db
      .prepare(
        `SELECT scheme_id AS schemeId, minute, intake, done, error, retry, calls_ok AS callsOk, calls_failed AS callsFailed
         FROM console_stats WHERE minute >= ? ${schemeId ? 'AND scheme_id = ?' : ''} ORDER BY minute`,
      )
      .all(...(schemeId ? [from, schemeId] : [from])) as StatsBucket[];
    return rows;
  }

  pruneStats(before: number): void {
    this.db.prepare('DELETE FROM console_stats WHERE minute < ?').run(before);
  }
}

export const connectorSecretContext = (name: string, param: string) => `connector:${name}:${param}`;
export const appSecretContext = (appKey: string) => `app:${appKey}`;

interface RawConnector {
  name: string;
  platform: string;
  env: string;
  params: string;
  secrets: string;
  limits: string | null;
  version: number;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

const toConnector = (r: RawConnector): StoredConnector => ({
  name: r.name,
  platform: r.platform,
  env: r.env,
  params: JSON.parse(r.params),
  secrets: JSON.parse(r.secrets),
  limits: r.limits ? JSON.parse(r.limits) : null,
  version: r.version,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

interface RawScheme {
  id: string;
  def: string;
  version: number;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

const toScheme = (r: RawScheme): StoredScheme => ({
  id: r.id,
  def: JSON.parse(r.def),
  version: r.version,
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

interface RawApp {
  app_key: string;
  name: string;
  secret: string;
  scopes: string;
  created_at: number;
  created_by: string;
}

const toApp = (r: RawApp): StoredApp => ({
  appKey: r.app_key,
  name: r.name,
  secret: r.secret,
  scopes: JSON.parse(r.scopes),
  createdAt: r.created_at,
  createdBy: r.created_by,
});
