/**
 * Connectors, schemes and OpenAPI apps made in the console, living beside the workspace's files.
 *
 * - Workspace files stay the source of truth for what they define: those items are read-only here (origin
 *   `workspace`); the console's own items (origin `console`) are kept in the store, schemes with every version.
 * - Console connectors' secret params are sealed with the master key (AES-256-GCM); in memory they sit, opened, in
 *   the same connector map the workspace's connectors use, so the engine and the existing routes see one world.
 * - A console scheme is checked exactly like a scheme file (checkScheme), compiled into the live runtime, and its
 *   dispatcher loop is restarted around an edit, so in-flight records settle under the version that claimed them.
 */
import { randomBytes } from 'node:crypto';
import type { Platform } from '../connectors/types.ts';
import type { Dispatcher } from '../engine/dispatcher.ts';
import type { Runtime } from '../engine/runtime.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { checkScheduleRefs } from '../engine/scheduler/config.ts';
import { compileTarget } from '../mapping/index.ts';
import type { AppDef, AppScope, ConnectorDef, SchemeDef } from '../metadata/types.ts';
import { checkConnector, checkScheme, substituteEnv, type Workspace } from '../metadata/workspace.ts';
import type { KeyRing } from '../secrets/keyring.ts';
import { appSecretContext, connectorSecretContext, type ConfigStore, type StoredScheme } from '../store/sqlite/config-store.ts';
import type { Store } from '../store/types.ts';
import { HttpError } from './http-errors.ts';

export type Origin = 'workspace' | 'console';

export const MASK = '***';
const CONNECTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export interface Problem {
  kind: 'connector' | 'scheme' | 'app';
  name: string;
  message: string;
}

export interface ConnectorInput {
  name?: unknown;
  platform?: unknown;
  env?: unknown;
  params?: unknown;
  limits?: unknown;
}

export interface ConfigServiceOptions {
  workspace: Workspace;
  platforms: Map<string, Platform>;
  store: Store;
  config: ConfigStore;
  keys: KeyRing;
  /** Environment for `${VAR}` in console connectors' params (QIAO_URL included). */
  env: Record<string, string | undefined>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Issues of checkScheme/checkConnector carry a `rel: ` prefix; the API names paths inside the body. */
const strip = (issues: Issue[], rel: string): Issue[] => issues.map((i) => ({ ...i, path: i.path.startsWith(`${rel}: `) ? i.path.slice(rel.length + 2) : i.path }));

export class ConfigService {
  readonly workspace: Workspace;
  readonly platforms: Map<string, Platform>;
  readonly config: ConfigStore;
  keys: KeyRing;
  private readonly store: Store;
  private readonly env: Record<string, string | undefined>;
  private runtime?: Runtime;
  private dispatcher?: Dispatcher;
  private appByKey?: Map<string, AppDef>;
  /** Names of connectors / ids of schemes / app keys that come from the console (everything else: workspace files). */
  private readonly consoleConnectors = new Set<string>();
  private readonly consoleApps = new Set<string>();
  /** Console schemes by id (also those that do not compile any more, e.g. after a workspace change). */
  private readonly consoleSchemes = new Map<string, StoredScheme>();
  problems: Problem[] = [];

  constructor(o: ConfigServiceOptions) {
    this.workspace = o.workspace;
    this.platforms = o.platforms;
    this.store = o.store;
    this.config = o.config;
    this.keys = o.keys;
    this.env = o.env;
  }

  // ------------------------------------------------------------ start-up
  /** Before the runtime is built: console connectors and apps join the workspace's. */
  loadInto(): void {
    for (const c of this.config.listConnectors()) {
      if (this.workspace.connectors.has(c.name)) {
        this.problems.push({ kind: 'connector', name: c.name, message: `a workspace file now defines connector "${c.name}"; the console's copy is ignored` });
        continue;
      }
      try {
        const def = this.openConnector(c.name, c.platform, c.env, c.params, c.secrets, c.limits);
        this.workspace.connectors.set(c.name, def);
        this.consoleConnectors.add(c.name);
      } catch (e) {
        this.problems.push({ kind: 'connector', name: c.name, message: (e as Error).message });
      }
    }
    for (const a of this.config.listApps()) {
      if (this.workspace.apps.some((x) => x.app_key === a.appKey)) continue;
      try {
        this.workspace.apps.push({ name: a.name, app_key: a.appKey, app_secret: this.keys.decrypt(a.secret, appSecretContext(a.appKey)), scopes: a.scopes as AppScope[] });
        this.consoleApps.add(a.appKey);
      } catch (e) {
        this.problems.push({ kind: 'app', name: a.appKey, message: (e as Error).message });
      }
    }
  }

  /** After the runtime is built from the files: compile console schemes into it. */
  addSchemesTo(runtime: Runtime): void {
    this.runtime = runtime;
    for (const s of this.config.listSchemes()) {
      this.consoleSchemes.set(s.id, s);
      if (runtime.schemes.has(s.id)) {
        this.problems.push({ kind: 'scheme', name: s.id, message: `a workspace file now defines scheme "${s.id}"; the console's copy is not running` });
        continue;
      }
      const checked = this.check(s.def);
      if (!checked.def) {
        this.problems.push({ kind: 'scheme', name: s.id, message: checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
        continue;
      }
      try {
        runtime.addScheme(checked.def, this.workspace.connectors, this.workspace.maps);
      } catch (e) {
        this.problems.push({ kind: 'scheme', name: s.id, message: (e as Error).message });
      }
    }
  }

  attach(o: { dispatcher: Dispatcher; appByKey: Map<string, AppDef> }): void {
    this.dispatcher = o.dispatcher;
    this.appByKey = o.appByKey;
  }

  // -------------------------------------------------------------- origin
  connectorOrigin(name: string): Origin {
    return this.consoleConnectors.has(name) ? 'console' : 'workspace';
  }

  schemeOrigin(id: string): Origin {
    return this.consoleSchemes.has(id) && !this.workspace.schemes.some((s) => s.id === id) ? 'console' : 'workspace';
  }

  appOrigin(key: string): Origin {
    return this.consoleApps.has(key) ? 'console' : 'workspace';
  }

  storedScheme(id: string): StoredScheme | undefined {
    return this.schemeOrigin(id) === 'console' ? this.consoleSchemes.get(id) : undefined;
  }

  /** Console schemes that are stored but not running (they do not compile any more). */
  brokenSchemes(): StoredScheme[] {
    return [...this.consoleSchemes.values()].filter((s) => !this.runtime?.schemes.has(s.id));
  }

  // ---------------------------------------------------------- connectors
  private secretNames(platform: string): Set<string> {
    return new Set((this.platforms.get(platform)?.params ?? []).filter((p) => p.secret).map((p) => p.name));
  }

  /** A stored connector as the engine uses it: `${VAR}` substituted, secrets opened. */
  private openConnector(name: string, platform: string, env: string, params: Record<string, unknown>, secrets: Record<string, string>, limits: Record<string, number> | null): ConnectorDef {
    const issues: Issue[] = [];
    const plain = substituteEnv(params, this.env, `connector ${name}`, issues) as Record<string, unknown>;
    if (issues.length) throw new Error(issues.map((i) => i.message).join('; '));
    for (const [k, sealed] of Object.entries(secrets)) plain[k] = this.keys.decrypt(sealed, connectorSecretContext(name, k));
    return { name, platform, env, params: plain, ...(limits ? { limits } : {}) };
  }

  /** Check a connector body; secrets left out (or `***`) keep their stored value. */
  private prepareConnector(input: ConnectorInput, existing?: { secrets: Record<string, string>; name: string }) {
    const issues: Issue[] = [];
    if (!isObject(input)) throw new HttpError(400, 'bad_request', 'body must be a JSON object');
    const name = existing?.name ?? input.name;
    if (typeof name !== 'string' || !CONNECTOR_NAME.test(name)) issues.push({ path: 'name', message: '1-64 letters, digits, "_" or "-"' });
    if (input.params !== undefined && !isObject(input.params)) issues.push({ path: 'params', message: 'must be an object' });
    if (issues.length) throw new HttpError(400, 'bad_request', 'invalid connector', issues);
    const platform = String(input.platform ?? '');
    const secretNames = this.secretNames(platform);
    const raw = (isObject(input.params) ? input.params : {}) as Record<string, unknown>;
    const params: Record<string, unknown> = {};
    const newSecrets: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!secretNames.has(k)) {
        if (v !== undefined && v !== null && v !== '') params[k] = v;
        continue;
      }
      if (v === undefined || v === null || v === '' || v === MASK) continue; // keep the stored one
      if (typeof v !== 'string') issues.push({ path: `params.${k}`, message: 'a secret must be a string' });
      else newSecrets[k] = v;
    }
    // Check with the values the engine will use: substituted params, stored secrets opened, new ones as given.
    const envIssues: Issue[] = [];
    const effective = substituteEnv(params, this.env, 'connector', envIssues) as Record<string, unknown>;
    issues.push(...envIssues.map((i) => ({ path: 'params', message: i.message })));
    for (const [k, sealed] of Object.entries(existing?.secrets ?? {})) if (!(k in newSecrets)) effective[k] = this.keys.decrypt(sealed, connectorSecretContext(name as string, k));
    Object.assign(effective, newSecrets);
    const checkIssues: Issue[] = [];
    const def = checkConnector({ name, platform: input.platform, env: input.env, params: effective, limits: input.limits }, 'connector', this.platforms, checkIssues);
    issues.push(...strip(checkIssues, 'connector'));
    if (issues.length || !def) throw new HttpError(400, 'bad_request', 'invalid connector', issues);
    const secrets: Record<string, string> = {};
    for (const k of secretNames) {
      if (k in newSecrets) secrets[k] = this.keys.encrypt(newSecrets[k]!, connectorSecretContext(def.name, k));
      else if (existing?.secrets[k]) secrets[k] = existing.secrets[k]!;
    }
    return { def, params, secrets, limits: (def.limits ?? null) as Record<string, number> | null };
  }

  /** Params as shown: secrets masked, `${VAR}` kept as written for console connectors. */
  describeConnector(name: string) {
    const conn = this.workspace.connectors.get(name);
    if (!conn) return undefined;
    const platform = this.platforms.get(conn.platform);
    const secretNames = this.secretNames(conn.platform);
    const stored = this.consoleConnectors.has(name) ? this.config.getConnector(name) : undefined;
    const source = stored ? stored.params : conn.params;
    const params: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(source)) if (!secretNames.has(k)) params[k] = v;
    const secretsSet: string[] = [];
    for (const k of secretNames) {
      const has = stored ? Boolean(stored.secrets[k]) : conn.params[k] !== undefined && conn.params[k] !== '';
      if (has) {
        params[k] = MASK;
        secretsSet.push(k);
      }
    }
    const limiter = this.runtime?.limiters.get(name);
    return {
      name,
      platform: conn.platform,
      platformLabel: platform?.label ?? conn.platform,
      env: conn.env,
      params,
      secretsSet,
      limits: conn.limits ?? null,
      origin: this.connectorOrigin(name),
      readOnly: this.connectorOrigin(name) === 'workspace',
      version: stored?.version ?? null,
      updatedAt: stored?.updatedAt ?? null,
      updatedBy: stored?.updatedBy ?? null,
      paused: limiter?.paused ?? false,
      breakerState: limiter?.breakerState ?? 0,
      usedBy: this.schemesUsing(name),
    };
  }

  schemesUsing(connector: string): string[] {
    const ids = new Set<string>();
    for (const rt of this.runtime?.schemes.values() ?? []) if (rt.def.source.connector === connector || rt.def.target.connector === connector) ids.add(rt.def.id);
    for (const s of this.consoleSchemes.values()) {
      const d = s.def as { source?: { connector?: string }; target?: { connector?: string } };
      if (d.source?.connector === connector || d.target?.connector === connector) ids.add(s.id);
    }
    return [...ids].sort();
  }

  /** A connector built from a body without saving it (the form's 测试连接 before 保存). */
  draftConnector(input: ConnectorInput): ConnectorDef {
    const name = typeof input.name === 'string' ? input.name : '';
    const stored = this.consoleConnectors.has(name) ? this.config.getConnector(name) : undefined;
    if (!stored && name && this.workspace.connectors.has(name) && isObject(input.params)) {
      // A workspace connector tested with edited params: its secrets come from the file.
      const conn = this.workspace.connectors.get(name)!;
      const merged = { ...input.params } as Record<string, unknown>;
      for (const k of this.secretNames(conn.platform)) if (merged[k] === undefined || merged[k] === MASK || merged[k] === '') merged[k] = conn.params[k];
      return this.prepareConnector({ ...input, name: `${name}` , params: merged }).def;
    }
    return this.prepareConnector({ ...input, name: name || 'draft' }, stored ? { name, secrets: stored.secrets } : undefined).def;
  }

  async createConnector(input: ConnectorInput, actor: string) {
    const name = typeof input?.name === 'string' ? input.name : '';
    if (this.workspace.connectors.has(name))
      throw new HttpError(409, 'conflict', `connector "${name}" already exists${this.connectorOrigin(name) === 'workspace' ? ' (workspace file)' : ''}`);
    const p = this.prepareConnector(input);
    this.config.putConnector({ name: p.def.name, platform: p.def.platform, env: p.def.env, params: p.params, secrets: p.secrets, limits: p.limits }, actor, Date.now());
    this.workspace.connectors.set(p.def.name, p.def);
    this.consoleConnectors.add(p.def.name);
    this.config.audit(actor, 'connector.create', p.def.name, { platform: p.def.platform, env: p.def.env });
    return this.describeConnector(p.def.name)!;
  }

  async updateConnector(name: string, input: ConnectorInput, actor: string) {
    this.requireConsoleConnector(name);
    const stored = this.config.getConnector(name)!;
    const p = this.prepareConnector({ ...input, name }, { name, secrets: stored.secrets });
    if (p.def.platform !== stored.platform && this.schemesUsing(name).length)
      throw new HttpError(409, 'conflict', `connector "${name}" is used by ${this.schemesUsing(name).join(', ')}; its platform cannot change`);
    this.config.putConnector({ name, platform: p.def.platform, env: p.def.env, params: p.params, secrets: p.secrets, limits: p.limits }, actor, Date.now());
    this.workspace.connectors.set(name, p.def);
    await this.reconnect(name);
    this.config.audit(actor, 'connector.update', name, { env: p.def.env, secretsChanged: Object.keys(p.secrets).filter((k) => p.secrets[k] !== stored.secrets[k]) });
    return this.describeConnector(name)!;
  }

  async deleteConnector(name: string, actor: string): Promise<void> {
    this.requireConsoleConnector(name);
    const users = this.schemesUsing(name);
    if (users.length) throw new HttpError(409, 'conflict', `connector "${name}" is used by scheme(s) ${users.join(', ')}`);
    this.config.deleteConnector(name);
    this.workspace.connectors.delete(name);
    this.consoleConnectors.delete(name);
    await this.runtime?.dropConnector(name);
    this.config.audit(actor, 'connector.delete', name, null);
  }

  private requireConsoleConnector(name: string): void {
    if (!this.workspace.connectors.has(name)) throw new HttpError(404, 'not_found', `no connector "${name}"`);
    if (this.connectorOrigin(name) !== 'console')
      throw new HttpError(409, 'read_only', `connector "${name}" is defined in the workspace file connectors/${name}.json; edit the file instead`);
  }

  /** New client and limiter for a connector whose params changed; its schemes are recompiled around it. */
  private async reconnect(name: string): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) return;
    const affected = [...runtime.schemes.values()].filter((rt) => rt.def.source.connector === name || rt.def.target.connector === name);
    const active = affected.filter((rt) => this.dispatcher?.isActive(rt.def.id)).map((rt) => rt.def.id);
    for (const id of active) await this.dispatcher?.stopScheme(id);
    await runtime.dropConnector(name);
    for (const rt of affected) {
      try {
        runtime.addScheme(rt.def, this.workspace.connectors, this.workspace.maps);
      } catch (e) {
        runtime.removeScheme(rt.def.id);
        this.problems.push({ kind: 'scheme', name: rt.def.id, message: (e as Error).message });
      }
    }
    const paused = await this.store.getState<{ paused?: boolean }>(`connector:${name}`);
    if (paused?.paused) runtime.limiters.get(name)?.setPaused(true);
    for (const id of active) if (runtime.schemes.has(id)) this.dispatcher?.startScheme(id);
  }

  // -------------------------------------------------------------- schemes
  /** checkScheme against the live connectors and maps; paths relative to the scheme body. */
  check(def: unknown): { def?: SchemeDef; issues: Issue[]; warnings: Issue[] } {
    const issues: Issue[] = [];
    const checked = checkScheme(def, 'scheme', this.workspace.connectors, this.workspace.maps, this.platforms, issues);
    let warnings: Issue[] = [];
    if (checked) {
      // Schedules may name other schemes (执行条件, 上游触发方案): check them against every scheme known now.
      const others = [...(this.runtime?.schemes.values() ?? [])].map((rt) => rt.def).filter((d) => d.id !== checked.id);
      const stored = [...this.consoleSchemes.values()]
        .filter((x) => x.id !== checked.id && !others.some((d) => d.id === x.id))
        .map((x) => x.def as unknown as SchemeDef)
        .filter((d) => d.source && d.target);
      issues.push(...checkScheduleRefs([...others, ...stored, { ...checked, file: 'scheme' }]).filter((i) => i.path.startsWith('scheme: ')));
      try {
        warnings = compileTarget(checked.target.metadata, { source: checked.source.metadata, maps: this.workspace.maps, basePath: 'target.metadata' }).warnings;
      } catch (e) {
        if (e instanceof ValidationError) issues.push(...e.issues);
      }
    }
    return { def: issues.length ? undefined : checked, issues: strip(issues, 'scheme'), warnings };
  }

  private requireDef(body: unknown): Record<string, unknown> {
    if (!isObject(body)) throw new HttpError(400, 'bad_request', 'body must be a scheme object {id, name, source, target, options}');
    return body;
  }

  async createScheme(body: unknown, actor: string, note?: string) {
    const def = this.requireDef(body);
    const id = String(def.id ?? '');
    if (this.runtime?.schemes.has(id) || this.consoleSchemes.has(id))
      throw new HttpError(409, 'conflict', `scheme "${id}" already exists${this.schemeOrigin(id) === 'workspace' ? ' (workspace file)' : ''}`);
    // A scheme made in the console starts stopped unless the body says otherwise: going live is a separate step.
    const toSave = { ...def, enabled: def.enabled === true };
    const checked = this.check(toSave);
    if (!checked.def) throw new HttpError(400, 'bad_request', 'the scheme has problems', checked.issues);
    const saved = this.config.saveScheme(id, toSave, actor, Date.now(), { create: true, note: note ?? 'created' });
    if (!saved.ok) throw new HttpError(409, 'conflict', `scheme "${id}" already exists`);
    try {
      this.runtime?.addScheme(checked.def, this.workspace.connectors, this.workspace.maps);
    } catch (e) {
      // It passed the checks but the engine could not build it: nothing is kept.
      this.config.deleteScheme(id);
      throw new HttpError(400, 'bad_request', `the scheme does not compile: ${(e as Error).message}`);
    }
    this.consoleSchemes.set(id, saved.scheme);
    if (checked.def.enabled) this.dispatcher?.startScheme(id);
    this.config.audit(actor, 'scheme.create', id, { version: saved.scheme.version });
    return { scheme: saved.scheme, warnings: checked.warnings };
  }

  async updateScheme(id: string, body: unknown, actor: string, opts: { expectedVersion?: number; note?: string } = {}) {
    const def = this.requireDef(body);
    this.requireConsoleScheme(id);
    if (def.id !== undefined && def.id !== id)
      throw new HttpError(400, 'bad_request', 'the scheme id cannot change (it is part of the push URL); copy the scheme instead', [{ path: 'id', message: `must be "${id}"` }]);
    const rt = this.runtime?.schemes.get(id);
    // Started/stopped is run state (start/stop), not part of a version: the stored value stays as it was.
    const toSave = { ...def, id, enabled: this.consoleSchemes.get(id)?.def.enabled === true };
    const checked = this.check(toSave);
    if (!checked.def) throw new HttpError(400, 'bad_request', 'the scheme has problems', checked.issues);
    checked.def.enabled = rt ? rt.def.enabled : checked.def.enabled;
    const saved = this.config.saveScheme(id, toSave, actor, Date.now(), { expectedVersion: opts.expectedVersion, note: opts.note });
    if (!saved.ok)
      throw new HttpError(409, 'conflict', saved.conflict === 'version' ? `scheme "${id}" was changed meanwhile (now version ${saved.current}); reload and apply your edit again` : `no scheme "${id}"`);
    this.consoleSchemes.set(id, saved.scheme);
    await this.recompile(id, checked.def);
    this.problems = this.problems.filter((p) => !(p.kind === 'scheme' && p.name === id));
    this.config.audit(actor, 'scheme.update', id, { version: saved.scheme.version, note: opts.note ?? null });
    return { scheme: saved.scheme, warnings: checked.warnings };
  }

  private async recompile(id: string, def: SchemeDef): Promise<void> {
    const runtime = this.runtime;
    if (!runtime) return;
    const wasActive = this.dispatcher?.isActive(id) ?? false;
    if (wasActive) await this.dispatcher!.stopScheme(id);
    try {
      runtime.addScheme(def, this.workspace.connectors, this.workspace.maps);
    } catch (e) {
      // The previous version keeps running; the stored newest version is reported until it is fixed.
      this.problems.push({ kind: 'scheme', name: id, message: `version saved but not running: ${(e as Error).message}` });
      throw new HttpError(400, 'bad_request', `saved, but the engine could not build it (the previous version keeps running): ${(e as Error).message}`);
    } finally {
      if (wasActive) this.dispatcher!.startScheme(id);
    }
  }

  async deleteScheme(id: string, actor: string): Promise<void> {
    this.requireConsoleScheme(id);
    if (this.dispatcher?.isActive(id)) throw new HttpError(409, 'conflict', `scheme "${id}" is running; stop it first`);
    this.config.deleteScheme(id);
    this.consoleSchemes.delete(id);
    this.runtime?.removeScheme(id);
    this.config.audit(actor, 'scheme.delete', id, null);
  }

  private requireConsoleScheme(id: string): void {
    const exists = this.runtime?.schemes.has(id) || this.consoleSchemes.has(id);
    if (!exists) throw new HttpError(404, 'not_found', `no scheme "${id}"`);
    if (this.schemeOrigin(id) !== 'console')
      throw new HttpError(409, 'read_only', `scheme "${id}" is defined in a workspace file (schemes/${id}.json); edit the file, or copy it into a console scheme`);
  }

  /** The scheme definition as stored (console) or loaded (workspace file). */
  schemeDefinition(id: string): { def: Record<string, unknown>; origin: Origin; version: number | null; updatedAt: number | null; updatedBy: string | null } | undefined {
    const stored = this.storedScheme(id);
    const rt = this.runtime?.schemes.get(id);
    if (stored) return { def: { ...stored.def, enabled: rt ? rt.def.enabled : stored.def.enabled }, origin: 'console', version: stored.version, updatedAt: stored.updatedAt, updatedBy: stored.updatedBy };
    const file = this.workspace.schemes.find((s) => s.id === id);
    if (!file) return undefined;
    return { def: { ...(file as unknown as Record<string, unknown>), enabled: rt ? rt.def.enabled : file.enabled }, origin: 'workspace', version: null, updatedAt: null, updatedBy: null };
  }

  // ----------------------------------------------------------------- apps
  listApps() {
    return this.workspace.apps.map((a) => ({
      name: a.name,
      app_key: a.app_key,
      scopes: a.scopes,
      origin: this.appOrigin(a.app_key),
      readOnly: this.appOrigin(a.app_key) === 'workspace',
    }));
  }

  createApp(input: { name?: unknown; scopes?: unknown }, actor: string): { app_key: string; app_secret: string; scopes: AppScope[]; name: string } {
    const issues: Issue[] = [];
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name || name.length > 64) issues.push({ path: 'name', message: '1-64 characters' });
    const scopes = input.scopes;
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => s !== 'push' && s !== 'admin'))
      issues.push({ path: 'scopes', message: 'a non-empty list of "push" and/or "admin"' });
    if (issues.length) throw new HttpError(400, 'bad_request', 'invalid app', issues);
    const app_key = `qiao-${randomBytes(6).toString('hex')}`;
    const app_secret = randomBytes(24).toString('base64url');
    this.config.insertApp({ appKey: app_key, name, secret: this.keys.encrypt(app_secret, appSecretContext(app_key)), scopes: scopes as string[], createdAt: Date.now(), createdBy: actor });
    const def: AppDef = { name, app_key, app_secret, scopes: scopes as AppScope[] };
    this.workspace.apps.push(def);
    this.appByKey?.set(app_key, def);
    this.consoleApps.add(app_key);
    this.config.audit(actor, 'app.create', app_key, { name, scopes });
    return { name, app_key, app_secret, scopes: scopes as AppScope[] };
  }

  deleteApp(appKey: string, actor: string): void {
    if (!this.workspace.apps.some((a) => a.app_key === appKey)) throw new HttpError(404, 'not_found', `no app "${appKey}"`);
    if (this.appOrigin(appKey) !== 'console') throw new HttpError(409, 'read_only', `app "${appKey}" is defined in a workspace file; remove the file, or revoke its tokens`);
    this.config.deleteApp(appKey);
    const i = this.workspace.apps.findIndex((a) => a.app_key === appKey);
    this.workspace.apps.splice(i, 1);
    this.appByKey?.delete(appKey);
    this.consoleApps.delete(appKey);
    this.config.audit(actor, 'app.delete', appKey, null);
  }

  /** Tokens of the app issued until now stop working (new ones can be fetched with the secret). */
  async revokeTokens(appKey: string, actor: string): Promise<{ revokedBefore: number }> {
    if (!this.workspace.apps.some((a) => a.app_key === appKey)) throw new HttpError(404, 'not_found', `no app "${appKey}"`);
    const revokedBefore = Math.floor(Date.now() / 1000) + 1;
    await this.store.setState(`app:${appKey}`, { revokedBefore });
    this.revoked.set(appKey, revokedBefore);
    this.config.audit(actor, 'app.revoke_tokens', appKey, null);
    return { revokedBefore };
  }

  /** Cached revocation times (seconds), loaded at start. */
  readonly revoked = new Map<string, number>();

  async loadRevocations(): Promise<void> {
    for (const a of this.workspace.apps) {
      const s = await this.store.getState<{ revokedBefore?: number }>(`app:${a.app_key}`);
      if (s?.revokedBefore) this.revoked.set(a.app_key, s.revokedBefore);
    }
  }
}
