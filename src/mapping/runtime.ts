/**
 * Per-record evaluation state shared by compiled closures. One `RC` is created per map() call; closures read the
 * current frames (record root, then the array elements being iterated) instead of receiving them as arguments.
 */
import type { Issue } from '../errors.ts';
import { DEFAULT_TZ, toEpochMs } from './time.ts';

export interface LookupQuery {
  schemeId: string;
  field: string;
  where: Record<string, unknown>;
}

export interface MapContext {
  /** CURRENT_TIME and NOW(); default new Date(). */
  now?: Date;
  /** LAST_SYNC_TIME, PAGINATION_* … */
  vars?: Record<string, unknown>;
  /** Time zone for wall-clock text; default 'Asia/Shanghai'. */
  tz?: string;
  /** `_findCollection`: the found field values of matching stored records of another scheme. */
  lookup?: (q: LookupQuery) => unknown[] | Promise<unknown[]>;
}

/** A failure inside an expression, formatter or parser; the field runner turns it into a MappingError. */
export class Fail extends Error {}

/** Marks a lookup whose answer is still on its way (async pass). */
export const PENDING: unique symbol = Symbol('pending');

export interface LookupEntry {
  done: boolean;
  values?: unknown[];
  error?: unknown;
}

export class RC {
  readonly tz: string;
  readonly nowMs: number;
  readonly vars: Record<string, unknown>;
  /** frames[0] = record content; frames[d] = element of the d-th array being iterated. */
  frames: unknown[];
  /** Array indices of the elements being iterated (for issue paths). */
  idx: number[] = [];
  issues: Issue[] | null = null;
  /** Lookups of this record (key → answer); set only for async targets. */
  lookups: Map<string, LookupEntry> | null = null;
  waiting: Promise<unknown>[] | null = null;

  constructor(readonly ctx: MapContext, root: unknown) {
    this.tz = ctx.tz ?? DEFAULT_TZ;
    this.nowMs = ctx.now ? ctx.now.getTime() : Date.now();
    this.vars = ctx.vars ?? EMPTY;
    this.frames = [root];
  }

  issue(pathTemplate: string, message: string): void {
    (this.issues ??= []).push({ path: this.fillPath(pathTemplate), message });
  }

  /** Replace each `#` of a path template with the current array indices: `order_list[#].oid` → `order_list[2].oid`. */
  fillPath(tpl: string): string {
    if (!tpl.includes('#')) return tpl;
    let k = 0;
    return tpl.replace(/#/g, () => String(this.idx[k++] ?? 0));
  }
}

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Variables the engine provides; referencing one that is not set is an error, not an empty value. */
export const ENGINE_VARS = new Set([
  'CURRENT_TIME', 'LAST_SYNC_TIME', 'PAGINATION_PAGE_SIZE', 'PAGINATION_START_ROW', 'PAGINATION_START_PAGE',
  'PAGINATION_PAGE', 'PAGINATION_END_ROW', 'CURRENT_DATE',
]);

const TIME_VARS = new Set(['CURRENT_TIME', 'LAST_SYNC_TIME']);

export const VAR_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Value of a variable: CURRENT_TIME and LAST_SYNC_TIME are Unix seconds (as QEasy's real configs use them:
 * `FROM_UNIXTIME({{LAST_SYNC_TIME}} - 600)`); format them with `|datetime`, `|date` … Others are passed as given.
 */
export function readVar(rc: RC, name: string): unknown {
  let v = rc.vars[name];
  if (v === undefined) {
    if (name === 'CURRENT_TIME') return Math.floor(rc.nowMs / 1000);
    if (name === 'CURRENT_DATE') return Math.floor(rc.nowMs / 1000);
    return undefined;
  }
  if (TIME_VARS.has(name) || v instanceof Date) {
    const ms = toEpochMs(v, rc.tz);
    if (ms === undefined) throw new Fail(`variable ${name} is not a time: ${JSON.stringify(v)}`);
    return Math.floor(ms / 1000);
  }
  return v;
}
