/**
 * Schedule options of a scheme's two sides (请求定时 / 执行定时): validation at workspace load, with every problem
 * as `file: json.path: reason`, and the resolved plan (defaults filled in from the metadata and the API catalogue)
 * the scheduler runs from.
 */
import { Cron } from 'croner';
import type { Issue } from '../../errors.ts';
import type { ApiSpec } from '../../connectors/types.ts';
import type {
  DetailOptions, MetadataDoc, PaginationOptions, SchemeDef, SchemeRef, SideSchedule, SourceSchedule,
} from '../../metadata/types.ts';
import { DEFAULT_TZ, isValidTimeZone, parseDateText } from '../../mapping/time.ts';

export const DEFAULT_OVERLAP_MINUTES = 10;
export const DEFAULT_PAGE_RETRY_LADDER = [5, 30, 120, 600, 1800];
export const DEFAULT_MAX_REREADS = 3;
export const DEFAULT_MAX_PAGES = 100_000;

export type PageStyle = 'page' | 'offset' | 'cursor' | 'none';

/** A source schedule with every default resolved. */
export interface SourcePlan {
  cron?: string;
  timezone: string;
  startAt?: Date;
  runOnStart: boolean;
  requires: SchemeRef[];
  triggeredBy: SchemeRef[];
  /** The metadata uses LAST_SYNC_TIME / CURRENT_TIME: reads go window by window. */
  windowed: boolean;
  startTime?: string;
  overlapMs: number;
  lagMs: number;
  /** Largest window per call (ms), from the catalogue and the scheme; undefined = unbounded. */
  maxWindowMs?: number;
  pagination: {
    style: PageStyle;
    pageSize: number;
    firstPage: number;
    /** The metadata places the page params itself through PAGINATION_* variables. */
    viaVariables: boolean;
    pageParam: string;
    sizeParam: string;
    offsetParam: string;
    cursorParam: string;
    cursorPath?: string;
    totalPath?: string;
    maxPages: number;
  };
  /** Where the rows are in the answer (QEasy: otherResponse[0].value), when not the connector's own list. */
  listPath?: string;
  detail?: Required<Pick<DetailOptions, 'api' | 'request' | 'merge' | 'concurrency'>> & { rowPath?: string };
  retryLadderMs: number[];
  maxRereads: number;
}

export interface TargetPlan {
  cron?: string;
  timezone: string;
  startAt?: Date;
  runOnStart: boolean;
  requires: SchemeRef[];
  triggeredBy: SchemeRef[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const SIDE_KEYS = ['cron', 'timezone', 'startAt', 'runOnStart', 'requires', 'triggeredBy'];
const SOURCE_KEYS = [...SIDE_KEYS, 'startTime', 'overlapMinutes', 'lagSeconds', 'maxWindowMinutes', 'pagination', 'detail', 'retryLadder', 'maxRereads'];
const PAGINATION_KEYS = ['style', 'pageSize', 'firstPage', 'pageParam', 'sizeParam', 'offsetParam', 'cursorParam', 'cursorPath', 'totalPath', 'maxPages'];
const DETAIL_KEYS = ['api', 'request', 'rowPath', 'merge', 'concurrency'];

/** Text of the metadata's request side, to find the variables it uses. */
function requestText(md: MetadataDoc): string {
  return JSON.stringify([md.request ?? [], md.otherRequest ?? []]);
}

export function usesVar(md: MetadataDoc, name: string): boolean {
  return new RegExp(`\\{\\{\\s*${name}\\b`).test(requestText(md));
}

/** `-3d`, `-12h`, `-30m`, `-90s` → ms before now; undefined when not relative. */
function relativeMs(s: string): number | undefined {
  const m = /^\s*-\s*(\d+(?:\.\d+)?)\s*([dhms])\s*$/.exec(s);
  if (!m) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'd' | 'h' | 'm' | 's'];
  return Math.round(Number(m[1]) * unit);
}

/** A configured time (wall clock in `tz`, ISO, or relative to `now`) → ms epoch; undefined when unreadable. */
export function parseTimeSetting(s: string, tz: string, now: number): number | undefined {
  const rel = relativeMs(s);
  if (rel !== undefined) return now - rel;
  return parseDateText(s, tz);
}

function refs(v: unknown, path: string, issues: Issue[], trigger: boolean): SchemeRef[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: SchemeRef[] = [];
  list.forEach((x, i) => {
    if (typeof x === 'string' && x) out.push({ scheme: x });
    else if (isObj(x) && typeof x.scheme === 'string' && x.scheme) {
      if (x.on !== undefined && (!trigger || (x.on !== 'stored' && x.on !== 'done')))
        issues.push({ path: `${path}[${i}].on`, message: trigger ? 'must be "stored" or "done"' : 'not used here' });
      out.push({ scheme: x.scheme, ...(trigger && x.on ? { on: x.on as 'stored' | 'done' } : {}) });
    } else issues.push({ path: `${path}[${i}]`, message: 'a scheme id, or {"scheme": id' + (trigger ? ', "on": "stored"|"done"}' : '}') });
  });
  return out;
}

function posNumber(o: Record<string, unknown>, key: string, path: string, issues: Issue[], opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const min = opts.min ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (opts.integer && !Number.isInteger(v)) || (opts.max !== undefined && v > opts.max)) {
    issues.push({ path: `${path}.${key}`, message: `must be ${opts.integer ? 'an integer' : 'a number'} ≥ ${min}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ''}` });
    return undefined;
  }
  return v;
}

function unknownKeys(o: Record<string, unknown>, allowed: string[], path: string, issues: Issue[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) issues.push({ path: `${path}.${k}`, message: `unknown option (one of: ${allowed.join(', ')})` });
}

function sidePlan(o: Record<string, unknown>, path: string, issues: Issue[]): TargetPlan {
  let timezone = DEFAULT_TZ;
  if (o.timezone !== undefined) {
    if (typeof o.timezone !== 'string' || !isValidTimeZone(o.timezone)) issues.push({ path: `${path}.timezone`, message: 'an IANA time zone, e.g. Asia/Shanghai' });
    else timezone = o.timezone;
  }
  let cron: string | undefined;
  if (o.cron !== undefined) {
    if (typeof o.cron !== 'string' || !o.cron.trim()) issues.push({ path: `${path}.cron`, message: 'a cron expression, e.g. "*/5 * * * *"' });
    else {
      try {
        new Cron(o.cron, { paused: true, timezone }).stop();
        cron = o.cron.trim();
      } catch (e) {
        issues.push({ path: `${path}.cron`, message: `not a valid cron expression: ${(e as Error).message}` });
      }
    }
  }
  let startAt: Date | undefined;
  if (o.startAt !== undefined) {
    const t = typeof o.startAt === 'string' ? parseDateText(o.startAt, timezone) : undefined;
    if (t === undefined) issues.push({ path: `${path}.startAt`, message: 'a date-time, e.g. "2024-06-01 08:00:00" (in the schedule\'s time zone)' });
    else startAt = new Date(t);
  }
  if (o.runOnStart !== undefined && typeof o.runOnStart !== 'boolean') issues.push({ path: `${path}.runOnStart`, message: 'must be true or false' });
  return {
    cron,
    timezone,
    startAt,
    runOnStart: o.runOnStart === true,
    requires: refs(o.requires, `${path}.requires`, issues, false),
    triggeredBy: refs(o.triggeredBy, `${path}.triggeredBy`, issues, true),
  };
}

export interface SourceContext {
  metadata: MetadataDoc;
  /** The source API's catalogue entry. */
  api: ApiSpec;
  /** Resolves another API of the same connector (for list-then-detail). */
  findApi(name: string): ApiSpec | undefined;
}

/**
 * Check and resolve a query source's schedule. `raw` is the scheme file's `source.schedule` (possibly absent:
 * a query source without a schedule runs on demand). Problems go to `issues` with `path` prefixes.
 */
export function sourcePlan(raw: unknown, ctx: SourceContext, path: string, issues: Issue[]): SourcePlan {
  const o: Record<string, unknown> = raw === undefined ? {} : isObj(raw) ? raw : {};
  if (raw !== undefined && !isObj(raw)) issues.push({ path, message: 'must be an object {cron, startTime, overlapMinutes, …}' });
  unknownKeys(o, SOURCE_KEYS, path, issues);
  const side = sidePlan(o, path, issues);
  const md = ctx.metadata;
  const windowed = usesVar(md, 'LAST_SYNC_TIME') || usesVar(md, 'CURRENT_TIME');
  if (o.startTime !== undefined && (typeof o.startTime !== 'string' || parseTimeSetting(o.startTime, side.timezone, Date.now()) === undefined))
    issues.push({ path: `${path}.startTime`, message: 'a date-time ("2024-06-01 00:00:00", in the schedule\'s time zone), an ISO time, or relative like "-3d", "-12h"' });
  const overlap = posNumber(o, 'overlapMinutes', path, issues) ?? DEFAULT_OVERLAP_MINUTES;
  const lag = posNumber(o, 'lagSeconds', path, issues) ?? 0;
  const apiMax = ctx.api.query?.maxWindowMinutes;
  let maxWindow = posNumber(o, 'maxWindowMinutes', path, issues, { min: 1 / 60 });
  if (maxWindow !== undefined && apiMax !== undefined && maxWindow > apiMax) {
    issues.push({ path: `${path}.maxWindowMinutes`, message: `the API ${ctx.api.name} allows at most ${apiMax} minutes per call` });
    maxWindow = apiMax;
  }
  maxWindow ??= apiMax;
  if (!windowed && (o.overlapMinutes !== undefined || o.lagSeconds !== undefined || o.startTime !== undefined || o.maxWindowMinutes !== undefined))
    issues.push({ path, message: 'window options need the metadata to use {{LAST_SYNC_TIME}} / {{CURRENT_TIME}} in request[] (e.g. start_time = {{LAST_SYNC_TIME|datetime}})' });

  // Pagination: explicit style, else what the metadata's variables say, else the catalogue (WDT: page numbers from 0).
  const p: Record<string, unknown> = o.pagination === undefined ? {} : isObj(o.pagination) ? o.pagination : {};
  const pPath = `${path}.pagination`;
  if (o.pagination !== undefined && !isObj(o.pagination)) issues.push({ path: pPath, message: 'must be an object {style, pageSize, …}' });
  unknownKeys(p, PAGINATION_KEYS, pPath, issues);
  const varStyle: PageStyle | undefined = usesVar(md, 'PAGINATION_CURSOR')
    ? 'cursor'
    : usesVar(md, 'PAGINATION_START_ROW') || usesVar(md, 'PAGINATION_END_ROW')
      ? 'offset'
      : usesVar(md, 'PAGINATION_PAGE') || usesVar(md, 'PAGINATION_START_PAGE')
        ? 'page'
        : undefined;
  let style: PageStyle = varStyle ?? (ctx.api.query?.firstPage !== undefined ? 'page' : 'none');
  if (p.style !== undefined) {
    if (!['page', 'offset', 'cursor', 'none'].includes(p.style as string)) issues.push({ path: `${pPath}.style`, message: 'page, offset, cursor or none' });
    else style = p.style as PageStyle;
  }
  const sizeLimits = ctx.api.query?.pageSize;
  const pageSize = posNumber(p, 'pageSize', pPath, issues, { integer: true, min: 1, max: sizeLimits?.max }) ?? sizeLimits?.max ?? 100;
  if (sizeLimits && pageSize < sizeLimits.min) issues.push({ path: `${pPath}.pageSize`, message: `the API needs at least ${sizeLimits.min}` });
  const firstPage = posNumber(p, 'firstPage', pPath, issues, { integer: true }) ?? ctx.api.query?.firstPage ?? 1;
  for (const k of ['pageParam', 'sizeParam', 'offsetParam', 'cursorParam', 'cursorPath', 'totalPath'])
    if (p[k] !== undefined && (typeof p[k] !== 'string' || !p[k])) issues.push({ path: `${pPath}.${k}`, message: 'must be a non-empty string' });
  const usesPageVars = varStyle !== undefined || usesVar(md, 'PAGINATION_PAGE_SIZE');
  const maxPages = posNumber(p, 'maxPages', pPath, issues, { integer: true, min: 1 }) ?? DEFAULT_MAX_PAGES;

  // List key: QEasy reads it from otherResponse[0].value.
  let listPath: string | undefined;
  const other = md.otherResponse;
  if (Array.isArray(other) && other.length && typeof other[0]?.value === 'string' && other[0].value) listPath = other[0].value as string;

  let detail: SourcePlan['detail'];
  if (o.detail !== undefined) {
    const d = o.detail;
    const dPath = `${path}.detail`;
    if (!isObj(d)) issues.push({ path: dPath, message: 'must be an object {api, request}' });
    else {
      unknownKeys(d, DETAIL_KEYS, dPath, issues);
      const api = typeof d.api === 'string' ? ctx.findApi(d.api) : undefined;
      if (typeof d.api !== 'string' || !d.api) issues.push({ path: `${dPath}.api`, message: 'required: a query API of the same connector' });
      else if (!api) issues.push({ path: `${dPath}.api`, message: `unknown API "${d.api}" for this connector` });
      else if (api.direction !== 'query') issues.push({ path: `${dPath}.api`, message: `"${d.api}" is not a query API` });
      if (!Array.isArray(d.request) || d.request.length === 0)
        issues.push({ path: `${dPath}.request`, message: 'required: parameter items whose values are templates over the listed row, e.g. {"field": "stockout_no", "value": "{{order_no}}"}' });
      if (d.rowPath !== undefined && typeof d.rowPath !== 'string') issues.push({ path: `${dPath}.rowPath`, message: 'a path like $.data' });
      if (d.merge !== undefined && typeof d.merge !== 'boolean') issues.push({ path: `${dPath}.merge`, message: 'must be true or false' });
      const concurrency = posNumber(d, 'concurrency', dPath, issues, { integer: true, min: 1, max: 64 }) ?? 4;
      if (typeof d.api === 'string' && Array.isArray(d.request))
        detail = { api: d.api, request: d.request as DetailOptions['request'], merge: d.merge !== false, concurrency, rowPath: d.rowPath as string | undefined };
    }
  }

  let retry = DEFAULT_PAGE_RETRY_LADDER;
  if (o.retryLadder !== undefined) {
    if (!Array.isArray(o.retryLadder) || !o.retryLadder.length || !o.retryLadder.every((x) => typeof x === 'number' && x >= 0))
      issues.push({ path: `${path}.retryLadder`, message: 'a non-empty list of seconds ≥ 0' });
    else retry = o.retryLadder as number[];
  }
  return {
    ...side,
    windowed,
    startTime: typeof o.startTime === 'string' ? o.startTime : undefined,
    overlapMs: Math.round(overlap * 60_000),
    lagMs: Math.round(lag * 1000),
    maxWindowMs: maxWindow === undefined ? undefined : Math.round(maxWindow * 60_000),
    pagination: {
      style,
      pageSize,
      firstPage,
      viaVariables: usesPageVars,
      pageParam: (p.pageParam as string) ?? 'page_no',
      sizeParam: (p.sizeParam as string) ?? (style === 'page' ? 'page_size' : 'limit'),
      offsetParam: (p.offsetParam as string) ?? 'offset',
      cursorParam: (p.cursorParam as string) ?? 'cursor',
      cursorPath: p.cursorPath as string | undefined,
      totalPath: p.totalPath as string | undefined,
      maxPages,
    },
    listPath,
    detail,
    retryLadderMs: retry.map((s) => Math.round(s * 1000)),
    maxRereads: posNumber(o, 'maxRereads', path, issues, { integer: true }) ?? DEFAULT_MAX_REREADS,
  };
}

/** Check and resolve a target schedule (执行定时). */
export function targetPlan(raw: unknown, path: string, issues: Issue[]): TargetPlan | undefined {
  if (raw === undefined) return undefined;
  if (!isObj(raw)) {
    issues.push({ path, message: 'must be an object {cron, requires, triggeredBy, …}' });
    return undefined;
  }
  unknownKeys(raw, SIDE_KEYS, path, issues);
  const plan = sidePlan(raw, path, issues);
  if (!plan.cron && !plan.triggeredBy.length && !plan.runOnStart)
    issues.push({ path, message: 'a target schedule needs a cron or triggeredBy (without one, records are sent as soon as they arrive)' });
  return plan;
}

/** A push source (OpenCallback) has no source schedule: its records arrive when they are pushed. */
export function pushSourceSchedule(raw: unknown, path: string, issues: Issue[]): void {
  if (raw !== undefined) issues.push({ path, message: 'a push source (OpenCallback) is not polled; schedule its target side instead' });
}

/** Cross-scheme checks, once every scheme is loaded: referenced schemes exist and are not the scheme itself. */
export function checkScheduleRefs(schemes: Array<Pick<SchemeDef, 'id' | 'source' | 'target'> & { file?: string }>): Issue[] {
  const ids = new Set(schemes.map((s) => s.id));
  const issues: Issue[] = [];
  for (const s of schemes) {
    for (const side of ['source', 'target'] as const) {
      const sch = s[side].schedule as SideSchedule | undefined;
      if (!sch) continue;
      for (const key of ['requires', 'triggeredBy'] as const) {
        const list = sch[key];
        if (!Array.isArray(list)) continue;
        list.forEach((r, i) => {
          const id = typeof r === 'string' ? r : r?.scheme;
          const at = `${s.file ?? `schemes/${s.id}.json`}: ${side}.schedule.${key}[${i}]`;
          if (id === s.id) issues.push({ path: at, message: 'a scheme cannot depend on itself' });
          else if (typeof id === 'string' && !ids.has(id)) issues.push({ path: at, message: `unknown scheme "${id}"` });
        });
      }
    }
  }
  return issues;
}

export function refsOf(list: SideSchedule['requires']): SchemeRef[] {
  return (list ?? []).map((r) => (typeof r === 'string' ? { scheme: r } : r));
}

export type { SourceSchedule };

/** An API of a platform: from its catalogue, else resolved (open-ended platforms such as `http`). */
export function apiOf(
  platform: { catalogue: ApiSpec[]; resolveApi?(name: string, params: Record<string, unknown>, use: 'source' | 'target'): ApiSpec | undefined },
  params: Record<string, unknown>,
  name: string,
  use: 'source' | 'target',
): ApiSpec | undefined {
  return platform.catalogue.find((a) => a.name === name) ?? platform.resolveApi?.(name, params, use);
}
