/**
 * Pure planning of polled reads: which window a run reads, how it is cut into chunks the API accepts, which
 * params and variables each page gets, and what to do after a page. No I/O here, so every rule is testable alone.
 *
 * Times are ms epoch floored to whole seconds (the APIs speak `yyyy-MM-dd HH:mm:ss`); windows are closed
 * intervals, so consecutive chunks share their boundary second (rows there come twice; ids dedupe them).
 */
import type { NewSourceJob, SourceJob } from '../../store/types.ts';
import { getPath } from '../../connectors/http/check.ts';
import type { SourcePlan } from './config.ts';
import { parseTimeSetting } from './config.ts';

export const floorSec = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * The window of a new run: from LAST_SYNC_TIME minus the overlap (or the configured start time on the first run,
 * else now minus the overlap) to now minus the lag. Undefined when it would be empty (start time in the future).
 */
export function runWindow(plan: SourcePlan, cursor: number | null, now: number): { from: number; to: number } | undefined {
  const to = floorSec(now - plan.lagMs);
  let from: number;
  if (cursor !== null) from = cursor - plan.overlapMs;
  else if (plan.startTime !== undefined) from = parseTimeSetting(plan.startTime, plan.timezone, now) ?? to - plan.overlapMs;
  else from = to - plan.overlapMs;
  from = floorSec(from);
  if (from > to) return undefined;
  return { from, to };
}

/** End of the chunk that starts at `from`: the API's maximum window at most, never past the run's end. */
export function chunkEnd(plan: SourcePlan, from: number, runTo: number): number {
  if (plan.maxWindowMs === undefined) return runTo;
  return Math.min(runTo, floorSec(from + plan.maxWindowMs));
}

export function firstJob(plan: SourcePlan, window: { from: number; to: number } | null, dueAt: number): NewSourceJob {
  return {
    chunkFrom: window ? window.from : null,
    chunkTo: window ? chunkEnd(plan, window.from, window.to) : null,
    page: 0,
    pageSize: plan.pagination.pageSize,
    cursor: null,
    total: null,
    pass: 0,
    dueAt,
  };
}

/** Variables a page's request templates see (QEasy's names; LAST_SYNC_TIME / CURRENT_TIME are the chunk's ends). */
export function pageVars(plan: SourcePlan, job: Pick<SourceJob, 'chunkFrom' | 'chunkTo' | 'page' | 'pageSize' | 'cursor'>): Record<string, unknown> {
  const p = plan.pagination;
  const start = job.page * job.pageSize;
  const vars: Record<string, unknown> = {
    PAGINATION_PAGE: p.firstPage + job.page,
    PAGINATION_START_PAGE: p.firstPage + job.page,
    PAGINATION_PAGE_SIZE: job.pageSize,
    PAGINATION_START_ROW: start,
    PAGINATION_END_ROW: start + job.pageSize,
  };
  if (job.cursor !== null && job.cursor !== '') vars.PAGINATION_CURSOR = job.cursor;
  if (job.chunkFrom !== null) vars.LAST_SYNC_TIME = new Date(job.chunkFrom);
  if (job.chunkTo !== null) vars.CURRENT_TIME = new Date(job.chunkTo);
  return vars;
}

/** Page params the engine adds itself when the metadata does not place them through PAGINATION_* variables. */
export function enginePageParams(plan: SourcePlan, job: Pick<SourceJob, 'page' | 'pageSize' | 'cursor'>): Record<string, unknown> {
  const p = plan.pagination;
  if (p.viaVariables || p.style === 'none') return {};
  switch (p.style) {
    case 'page':
      return { [p.pageParam]: p.firstPage + job.page, [p.sizeParam]: job.pageSize };
    case 'offset':
      return { [p.offsetParam]: job.page * job.pageSize, [p.sizeParam]: job.pageSize };
    case 'cursor':
      return job.cursor ? { [p.cursorParam]: job.cursor, [p.sizeParam]: job.pageSize } : { [p.sizeParam]: job.pageSize };
  }
}

const CURSOR_PATHS = ['$.next_cursor', '$.nextCursor', '$.next_token', '$.nextToken', '$.next_page_token', '$.cursor', '$.data.next_cursor', '$.data.nextCursor'];

export function nextCursorOf(plan: SourcePlan, response: unknown): string | undefined {
  for (const path of plan.pagination.cursorPath ? [plan.pagination.cursorPath] : CURSOR_PATHS) {
    const v = getPath(response, path);
    if (v !== undefined && v !== null && v !== '' && v !== false) return String(v);
  }
  return undefined;
}

export function totalOf(plan: SourcePlan, response: unknown, reported: number | undefined): number | undefined {
  if (plan.pagination.totalPath) {
    const v = getPath(response, plan.pagination.totalPath);
    return v === undefined || v === null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
  }
  return reported;
}

export type PageStep =
  /** More pages in this chunk. */
  | { kind: 'next'; job: NewSourceJob }
  /** The chunk is read completely; `verify`: re-read its first page's count before trusting it (drift check). */
  | { kind: 'chunkDone'; verify: boolean }
  /** The count changed under the pager: read the chunk again (`job`), or split it (`job` with a shorter chunk). */
  | { kind: 'reread'; job: NewSourceJob; reason: string };

/**
 * After a page: continue, finish the chunk, or re-read it because the data moved. `firstTotal` is the count the
 * pass's first page reported (this page's own for page 0), `total` the count this page reported.
 */
export function afterPage(
  plan: SourcePlan,
  job: SourceJob,
  got: { rows: number; total?: number; nextCursor?: string },
  now: number,
): PageStep {
  const p = plan.pagination;
  const firstTotal = job.page === 0 ? got.total : (job.total ?? undefined);
  // Offset-drift protection: rows inserted before (or removed from before) the current offset shift every later
  // page, so a changed count means this pass may have skipped rows. Read the chunk again from its first page;
  // after maxRereads, halve the chunk so fewer pages (finally one) are exposed to the churn.
  if (p.style !== 'cursor' && job.page > 0 && got.total !== undefined && firstTotal !== undefined && got.total !== firstTotal)
    return reread(plan, job, now, `total_count changed from ${firstTotal} to ${got.total} while paging`);
  const base = { chunkFrom: job.chunkFrom, chunkTo: job.chunkTo, pageSize: job.pageSize, pass: job.pass, dueAt: now };
  if (p.style === 'none') return { kind: 'chunkDone', verify: false };
  if (p.style === 'cursor') {
    if (!got.nextCursor || got.rows === 0 || job.page + 1 >= p.maxPages) return { kind: 'chunkDone', verify: false };
    return { kind: 'next', job: { ...base, page: job.page + 1, cursor: got.nextCursor, total: firstTotal ?? null } };
  }
  const seen = (job.page + 1) * job.pageSize;
  const short = got.rows < job.pageSize;
  const reachedTotal = firstTotal !== undefined && seen >= firstTotal;
  if (short || reachedTotal || job.page + 1 >= p.maxPages) {
    // Several pages and no count on the later ones: confirm the count did not change before trusting the pass.
    const verify = job.page > 0 && got.total === undefined && firstTotal !== undefined;
    return { kind: 'chunkDone', verify };
  }
  return { kind: 'next', job: { ...base, page: job.page + 1, cursor: null, total: firstTotal ?? null } };
}

export function reread(plan: SourcePlan, job: SourceJob, now: number, reason: string): PageStep {
  const base = { page: 0, pageSize: job.pageSize, cursor: null, total: null, dueAt: now };
  if (job.pass < plan.maxRereads || job.chunkFrom === null || job.chunkTo === null)
    return { kind: 'reread', reason, job: { ...base, chunkFrom: job.chunkFrom, chunkTo: job.chunkTo, pass: job.pass + 1 } };
  const half = floorSec(job.chunkFrom + (job.chunkTo - job.chunkFrom) / 2);
  if (half <= job.chunkFrom)
    return { kind: 'reread', reason: `${reason}; the window is one second, reading it again`, job: { ...base, chunkFrom: job.chunkFrom, chunkTo: job.chunkTo, pass: job.pass + 1 } };
  return { kind: 'reread', reason: `${reason}; still changing after ${job.pass} re-reads, splitting the window`, job: { ...base, chunkFrom: job.chunkFrom, chunkTo: half, pass: 0 } };
}

/** The job that starts the chunk after `job`'s, or undefined when the run's window is done. */
export function nextChunk(plan: SourcePlan, job: SourceJob, runTo: number | null, now: number): NewSourceJob | undefined {
  if (job.chunkTo === null || runTo === null || job.chunkTo >= runTo) return undefined;
  const from = job.chunkTo;
  return { chunkFrom: from, chunkTo: chunkEnd(plan, from, runTo), page: 0, pageSize: plan.pagination.pageSize, cursor: null, total: null, pass: 0, dueAt: now };
}

/** Delay before attempt n+1 of a failed page. */
export function retryDelay(plan: SourcePlan, attempts: number): number {
  const l = plan.retryLadderMs;
  return l[Math.min(attempts, l.length - 1)] ?? 5000;
}
