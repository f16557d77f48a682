/**
 * A workspace is a folder of JSON files, git-friendly:
 *   workspace.json            optional settings: {"sandboxes": ["wdt"]} mounts those simulators in `serve`
 *   connectors/<name>.json    {"name", "platform", "env", "params"}
 *   apps/<name>.json          {"app_key", "app_secret", "scopes"}
 *   schemes/<id>.json         {"id", "name", "enabled", "source", "target", "options"}
 *   maps/<name>.json          value maps (静态映射) used by mappings
 * `${VAR}` / `${VAR:-default}` in any string is replaced from the environment, so secrets stay out of git.
 * Loading never throws on bad content: it returns every problem as `file: json.path: reason`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Issue } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import type { Platform } from '../connectors/types.ts';
import type { AppDef, ConnectorDef, MetadataDoc, SchemeDef, SchemeOptions, SideSchedule } from './types.ts';
import type { ApiSpec } from '../connectors/types.ts';
import { apiOf, checkScheduleRefs, pushSourceSchedule, sourcePlan, targetPlan } from '../engine/scheduler/config.ts';
import { compileSource, compileTarget, normaliseParams, type ValueMapDef } from '../mapping/index.ts';
import { checkAlertRules, type AlertRule } from '../engine/alerts.ts';

export interface WorkspaceSettings {
  sandboxes: string[];
  /** Webhook alerts on errors and backlog (钉钉/企业微信/飞书 robots or JSON). */
  alerts: AlertRule[];
}

export interface Workspace {
  dir: string;
  settings: WorkspaceSettings;
  connectors: Map<string, ConnectorDef>;
  apps: AppDef[];
  schemes: SchemeDef[];
  maps: Record<string, ValueMapDef>;
}

export interface LoadOptions {
  env?: Record<string, string | undefined>;
  platforms: Map<string, Platform>;
}

const SCHEME_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SCOPES = new Set(['push', 'admin']);

export function loadWorkspace(dir: string, opts: LoadOptions): { workspace?: Workspace; issues: Issue[] } {
  const issues: Issue[] = [];
  const env = opts.env ?? process.env;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { issues: [{ path: dir, message: 'workspace folder does not exist' }] };
  }
  const read = (rel: string): unknown => {
    const text = fs.readFileSync(path.join(dir, rel), 'utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      issues.push({ path: `${rel}: (json)`, message: `not valid JSON: ${(e as Error).message}` });
      return undefined;
    }
    return substituteEnv(data, env, rel, issues);
  };
  const files = (sub: string): string[] => {
    const d = path.join(dir, sub);
    if (!fs.existsSync(d)) return [];
    return fs
      .readdirSync(d)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => `${sub}/${f}`);
  };

  const settings: WorkspaceSettings = { sandboxes: [], alerts: [] };
  if (fs.existsSync(path.join(dir, 'workspace.json'))) {
    const s = read('workspace.json');
    if (s !== undefined) {
      if (!isObject(s)) issues.push({ path: 'workspace.json: $', message: 'must be an object' });
      else if (s.sandboxes !== undefined) {
        if (!Array.isArray(s.sandboxes) || s.sandboxes.some((x) => typeof x !== 'string'))
          issues.push({ path: 'workspace.json: sandboxes', message: 'must be a list of platform names' });
        else
          for (const [i, name] of (s.sandboxes as string[]).entries()) {
            const p = opts.platforms.get(name);
            if (!p?.sandbox) issues.push({ path: `workspace.json: sandboxes[${i}]`, message: `no sandbox for platform "${name}"` });
            else settings.sandboxes.push(name);
          }
      }
      if (isObject(s)) settings.alerts = checkAlertRules(s.alerts, issues);
    }
  }

  const connectors = new Map<string, ConnectorDef>();
  for (const rel of files('connectors')) {
    const c = read(rel);
    if (c === undefined) continue;
    const conn = checkConnector(c, rel, opts.platforms, issues);
    if (!conn) continue;
    if (connectors.has(conn.name)) issues.push({ path: `${rel}: name`, message: `connector "${conn.name}" is defined twice` });
    connectors.set(conn.name, conn);
  }

  const apps: AppDef[] = [];
  for (const rel of files('apps')) {
    const a = read(rel);
    if (a === undefined) continue;
    if (!isObject(a)) {
      issues.push({ path: `${rel}: $`, message: 'must be an object' });
      continue;
    }
    const ok = requireString(a, 'app_key', rel, issues) & requireString(a, 'app_secret', rel, issues);
    const scopes = a.scopes ?? ['push'];
    if (!Array.isArray(scopes) || scopes.some((s) => !SCOPES.has(s as string))) {
      issues.push({ path: `${rel}: scopes`, message: 'must be a list of "push" and/or "admin"' });
      continue;
    }
    if (typeof a.app_secret === 'string' && a.app_secret.length < 8)
      issues.push({ path: `${rel}: app_secret`, message: 'must be at least 8 characters' });
    if (apps.some((x) => x.app_key === a.app_key))
      issues.push({ path: `${rel}: app_key`, message: `app_key "${String(a.app_key)}" is used twice` });
    if (ok)
      apps.push({
        name: path.basename(rel, '.json'),
        app_key: a.app_key as string,
        app_secret: a.app_secret as string,
        scopes: scopes as AppDef['scopes'],
      });
  }

  const maps: Record<string, ValueMapDef> = {};
  for (const rel of files('maps')) {
    const m = read(rel);
    if (m === undefined) continue;
    if (!isObject(m) || !isObject(m.entries)) {
      issues.push({ path: `${rel}: entries`, message: 'a value map needs an "entries" object' });
      continue;
    }
    const name = typeof m.name === 'string' ? m.name : path.basename(rel, '.json');
    maps[name] = { ...(m as object), name } as ValueMapDef;
  }

  const schemes: SchemeDef[] = [];
  const schemeFiles: Array<SchemeDef & { file: string }> = [];
  for (const rel of files('schemes')) {
    const s = read(rel);
    if (s === undefined) continue;
    const scheme = checkScheme(s, rel, connectors, maps, opts.platforms, issues);
    if (!scheme) continue;
    if (schemes.some((x) => x.id === scheme.id))
      issues.push({ path: `${rel}: id`, message: `scheme id "${scheme.id}" is used twice` });
    else {
      schemes.push(scheme);
      schemeFiles.push({ ...scheme, file: rel });
    }
  }
  // Schedules name other schemes (执行条件, 上游触发方案): checked once all are known.
  issues.push(...checkScheduleRefs(schemeFiles));

  if (issues.length) return { issues };
  return { workspace: { dir, settings, connectors, apps, schemes, maps }, issues };
}

/** One connector definition (a file's content, or one made in the console); problems go to `issues` as `rel: path`. */
export function checkConnector(c: unknown, rel: string, platforms: Map<string, Platform>, issues: Issue[]): ConnectorDef | undefined {
  const at = (p: string) => `${rel}: ${p}`;
  if (!isObject(c)) {
    issues.push({ path: at('$'), message: 'must be an object' });
    return undefined;
  }
  requireString(c, 'name', rel, issues);
  requireString(c, 'platform', rel, issues);
  requireString(c, 'env', rel, issues);
  if (c.params !== undefined && !isObject(c.params)) issues.push({ path: at('params'), message: 'must be an object' });
  if (typeof c.name !== 'string' || typeof c.platform !== 'string' || typeof c.env !== 'string') return undefined;
  const platform = platforms.get(c.platform);
  if (!platform) {
    issues.push({ path: at('platform'), message: `unknown platform "${c.platform}" (known: ${[...platforms.keys()].join(', ')})` });
    return undefined;
  }
  if (!(c.env in platform.envs))
    issues.push({ path: at('env'), message: `unknown env "${c.env}" (one of: ${Object.keys(platform.envs).join(', ')})` });
  const params = (isObject(c.params) ? c.params : {}) as Record<string, unknown>;
  for (const spec of platform.params)
    if (spec.required && (params[spec.name] === undefined || params[spec.name] === ''))
      issues.push({ path: at(`params.${spec.name}`), message: `required (${spec.label})` });
  for (const p of platform.validateParams?.(params) ?? []) issues.push({ path: at(p.path), message: p.message });
  const limits = c.limits === undefined ? undefined : (c.limits as Record<string, unknown>);
  if (limits !== undefined) {
    if (!isObject(limits)) issues.push({ path: at('limits'), message: 'must be an object {qps, concurrency, breakerThreshold, breakerCooldownMs}' });
    else
      for (const k of ['qps', 'concurrency', 'breakerThreshold', 'breakerCooldownMs'])
        if (limits[k] !== undefined && !(typeof limits[k] === 'number' && (limits[k] as number) > 0))
          issues.push({ path: at(`limits.${k}`), message: 'must be a number > 0' });
  }
  if (c.timezone !== undefined && !isTimeZone(c.timezone))
    issues.push({ path: at('timezone'), message: 'an IANA time zone such as "Asia/Shanghai"' });
  return {
    name: c.name,
    platform: c.platform,
    env: c.env,
    params,
    limits: limits as ConnectorDef['limits'],
    ...(typeof c.timezone === 'string' ? { timezone: c.timezone } : {}),
  };
}

export function checkScheme(
  s: unknown,
  rel: string,
  connectors: Map<string, ConnectorDef>,
  maps: Record<string, ValueMapDef>,
  platforms: Map<string, Platform>,
  issues: Issue[],
): SchemeDef | undefined {
  const at = (p: string) => `${rel}: ${p}`;
  if (!isObject(s)) {
    issues.push({ path: at('$'), message: 'must be an object' });
    return undefined;
  }
  const before = issues.length;
  requireString(s, 'id', rel, issues);
  requireString(s, 'name', rel, issues);
  if (typeof s.id === 'string' && !SCHEME_ID.test(s.id))
    issues.push({ path: at('id'), message: 'use 1-64 letters, digits, "_" or "-" (it is part of the push URL)' });
  if (s.enabled !== undefined && typeof s.enabled !== 'boolean') issues.push({ path: at('enabled'), message: 'must be true or false' });
  const sides: Record<'source' | 'target', { connector: string; metadata: MetadataDoc; schedule?: SideSchedule } | undefined> = {
    source: undefined,
    target: undefined,
  };
  const apis: Partial<Record<'source' | 'target', ApiSpec>> = {};
  for (const side of ['source', 'target'] as const) {
    const v = s[side];
    if (!isObject(v)) {
      issues.push({ path: at(side), message: 'required object {connector, metadata}' });
      continue;
    }
    if (typeof v.connector !== 'string') {
      issues.push({ path: at(`${side}.connector`), message: 'required' });
      continue;
    }
    const conn = connectors.get(v.connector);
    if (!conn) {
      issues.push({ path: at(`${side}.connector`), message: `unknown connector "${v.connector}"` });
      continue;
    }
    if (!isObject(v.metadata)) {
      issues.push({ path: at(`${side}.metadata`), message: 'required object (QEasy metadata document)' });
      continue;
    }
    const md = v.metadata as MetadataDoc;
    if (typeof md.api !== 'string' || !md.api) {
      issues.push({ path: at(`${side}.metadata.api`), message: 'required' });
      continue;
    }
    const platform = platforms.get(conn.platform)!;
    const api = apiOf(platform, conn.params, md.api, side);
    if (!api) {
      issues.push({ path: at(`${side}.metadata.api`), message: `unknown API "${md.api}" for platform ${platform.name}` });
      continue;
    }
    if (side === 'target' && api.direction !== 'write')
      issues.push({ path: at('target.metadata.api'), message: `"${md.api}" is not a write API` });
    if (side === 'source' && api.direction === 'write')
      issues.push({ path: at('source.metadata.api'), message: `"${md.api}" is a write API, not a source` });
    const metadata: MetadataDoc = { ...md };
    for (const key of ['request', 'otherRequest', 'response', 'otherResponse'] as const) {
      const list = md[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        issues.push({ path: at(`${side}.metadata.${key}`), message: 'must be a list of parameters' });
        continue;
      }
      metadata[key] = normaliseParams(list);
    }
    sides[side] = { connector: v.connector, metadata, ...(v.schedule !== undefined ? { schedule: v.schedule as SideSchedule } : {}) };
    apis[side] = api;
  }
  const options = checkOptions(s.options, rel, issues);
  if (sides.source) {
    if (typeof sides.source.metadata.id !== 'string' || !sides.source.metadata.id)
      issues.push({ path: at('source.metadata.id'), message: 'required: the field that identifies a record (主键)' });
    collect(() => compileSource(sides.source!.metadata, { basePath: at('source.metadata') }), issues);
  }
  if (sides.target)
    collect(
      () => compileTarget(sides.target!.metadata, { source: sides.source?.metadata, maps, basePath: at('target.metadata') }),
      issues,
    );
  // 请求定时 / 执行定时 (docs/scheduling.md).
  if (sides.source && apis.source) {
    const conn = connectors.get(sides.source.connector)!;
    const platform = platforms.get(conn.platform)!;
    if (apis.source.direction === 'query')
      sourcePlan(
        sides.source.schedule,
        { metadata: sides.source.metadata, api: apis.source, findApi: (n) => apiOf(platform, conn.params, n, 'source') },
        at('source.schedule'),
        issues,
      );
    else pushSourceSchedule(sides.source.schedule, at('source.schedule'), issues);
  }
  if (sides.target) targetPlan(sides.target.schedule, at('target.schedule'), issues);
  if (issues.length > before || !sides.source || !sides.target) return undefined;
  return {
    id: s.id as string,
    name: s.name as string,
    enabled: s.enabled !== false,
    source: sides.source,
    target: sides.target,
    options,
  };
}

export const DEFAULT_RETRY_LADDER = [20, 300, 3600, 14400, 72000];

function checkOptions(o: unknown, rel: string, issues: Issue[]): SchemeOptions {
  const at = (p: string) => `${rel}: options.${p}`;
  if (o === undefined) return {};
  if (!isObject(o)) {
    issues.push({ path: `${rel}: options`, message: 'must be an object' });
    return {};
  }
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && (o.batchSize as number) >= 1))
    issues.push({ path: at('batchSize'), message: 'must be an integer ≥ 1' });
  if (
    o.retryLadder !== undefined &&
    !(Array.isArray(o.retryLadder) && o.retryLadder.length > 0 && o.retryLadder.every((x) => typeof x === 'number' && x >= 0))
  )
    issues.push({ path: at('retryLadder'), message: 'must be a non-empty list of seconds ≥ 0' });
  if (o.maxRetries !== undefined && !(Number.isInteger(o.maxRetries) && (o.maxRetries as number) >= 0))
    issues.push({ path: at('maxRetries'), message: 'must be an integer ≥ 0' });
  return o as SchemeOptions;
}

function collect(fn: () => unknown, issues: Issue[]): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) issues.push(...e.issues);
    else issues.push({ path: '(mapping)', message: (e as Error).message });
  }
}

function requireString(o: Record<string, unknown>, key: string, rel: string, issues: Issue[]): 0 | 1 {
  if (typeof o[key] === 'string' && o[key] !== '') return 1;
  issues.push({ path: `${rel}: ${key}`, message: o[key] === undefined ? 'required' : 'must be a non-empty string' });
  return 0;
}

function isTimeZone(v: unknown): boolean {
  if (typeof v !== 'string' || !v) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` and `${VAR:-default}` in every string; a missing variable without default is an issue. */
export function substituteEnv(
  v: unknown,
  env: Record<string, string | undefined>,
  rel: string,
  issues: Issue[],
  at = '$',
): unknown {
  if (typeof v === 'string') {
    if (!v.includes('${')) return v;
    return v.replace(VAR, (_, name: string, dflt: string | undefined) => {
      const val = env[name];
      if (val !== undefined && val !== '') return val;
      if (dflt !== undefined) return dflt;
      issues.push({ path: `${rel}: ${at}`, message: `environment variable ${name} is not set` });
      return '';
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => substituteEnv(x, env, rel, issues, `${at}[${i}]`));
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = substituteEnv(x, env, rel, issues, at === '$' ? k : `${at}.${k}`);
    return out;
  }
  return v;
}
