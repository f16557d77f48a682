/**
 * The planning rules of polled reads, without I/O: windows (overlap, lag, start time), chunks no longer than the
 * API allows, page variables and params per paging style, what follows a page (next, done, re-read after a count
 * change, split after repeated changes), and the schedule options a workspace is checked against.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueByName } from '../../src/connectors/wdt/index.ts';
import { loadPlatforms } from '../../src/connectors/registry.ts';
import { sourcePlan, targetPlan, type SourcePlan } from '../../src/engine/scheduler/config.ts';
import { afterPage, chunkEnd, enginePageParams, firstJob, nextChunk, pageVars, runWindow } from '../../src/engine/scheduler/plan.ts';
import { loadWorkspace } from '../../src/metadata/workspace.ts';
import type { Issue } from '../../src/errors.ts';
import type { SourceJob } from '../../src/store/types.ts';
import { ROOT, tmpDir } from '../helpers.ts';
import { stockoutSource } from './harness.ts';

const MIN = 60_000;
const T = Date.parse('2024-06-01T12:00:00+08:00');

function plan(schedule: unknown, md: Record<string, unknown> = stockoutSource(), api = 'stockout_order_query_trade'): SourcePlan {
  const issues: Issue[] = [];
  const p = sourcePlan(schedule, { metadata: md as never, api: catalogueByName.get(api)!, findApi: (n) => catalogueByName.get(n) }, 'schedule', issues);
  expect(issues).toEqual([]);
  return p;
}

function job(over: Partial<SourceJob> = {}): SourceJob {
  return {
    id: 1, runId: 1, schemeId: 's', status: 'pending', chunkFrom: T - 60 * MIN, chunkTo: T, page: 0, pageSize: 100, cursor: null, total: null,
    pass: 0, attempts: 0, dueAt: T, error: null, rows: null, accepted: null, duplicate: null, filtered: null, rejected: null, request: null,
    issues: null, createdAt: T, finishedAt: null, ...over,
  };
}

describe('windows', () => {
  it('from LAST_SYNC_TIME minus the overlap (default 10 min) to now minus the lag, in whole seconds', () => {
    const p = plan({ lagSeconds: 30 });
    expect(runWindow(p, T - 5 * MIN, T + 999)).toEqual({ from: T - 15 * MIN, to: T - 30_000 });
  });

  it('the first run starts at the start time (wall clock in Asia/Shanghai, ISO, or relative), else now minus the overlap', () => {
    expect(runWindow(plan({ startTime: '2024-06-01 08:00:00' }), null, T)).toEqual({ from: T - 4 * 60 * MIN, to: T });
    expect(runWindow(plan({ startTime: '2024-06-01T00:00:00Z' }), null, T)).toEqual({ from: Date.parse('2024-06-01T00:00:00Z'), to: T });
    expect(runWindow(plan({ startTime: '-3d' }), null, T)).toEqual({ from: T - 3 * 24 * 60 * MIN, to: T });
    expect(runWindow(plan({}), null, T)).toEqual({ from: T - 10 * MIN, to: T });
    expect(runWindow(plan({ startTime: '2030-01-01 00:00:00' }), null, T)).toBeUndefined();
  });

  it('a window is cut into chunks of at most the API maximum, back to back', () => {
    const p = plan({}, { ...stockoutSource(), api: 'trade_query' }, 'trade_query');
    expect(p.maxWindowMs).toBe(60 * MIN);
    const w = { from: T - 150 * MIN, to: T };
    const first = firstJob(p, w, T);
    expect([first.chunkFrom, first.chunkTo]).toEqual([T - 150 * MIN, T - 90 * MIN]);
    const second = nextChunk(p, job({ chunkFrom: first.chunkFrom, chunkTo: first.chunkTo }), w.to, T)!;
    expect([second.chunkFrom, second.chunkTo]).toEqual([T - 90 * MIN, T - 30 * MIN]);
    const third = nextChunk(p, job({ chunkFrom: second.chunkFrom, chunkTo: second.chunkTo }), w.to, T)!;
    expect([third.chunkFrom, third.chunkTo]).toEqual([T - 30 * MIN, T]);
    expect(nextChunk(p, job({ chunkFrom: third.chunkFrom, chunkTo: third.chunkTo }), w.to, T)).toBeUndefined();
    // A scheme may ask for smaller chunks, never larger ones.
    expect(chunkEnd(plan({ maxWindowMinutes: 15 }), T, T + 60 * MIN)).toBe(T + 15 * MIN);
  });
});

describe('pages', () => {
  it('variables: WDT pages from 0, start row, size; LAST_SYNC_TIME / CURRENT_TIME are the chunk ends', () => {
    const p = plan({ pagination: { pageSize: 50 } });
    const v = pageVars(p, { chunkFrom: T - MIN, chunkTo: T, page: 2, pageSize: 50, cursor: null });
    expect(v).toMatchObject({ PAGINATION_PAGE: 2, PAGINATION_START_PAGE: 2, PAGINATION_PAGE_SIZE: 50, PAGINATION_START_ROW: 100, PAGINATION_END_ROW: 150 });
    expect(v.LAST_SYNC_TIME).toEqual(new Date(T - MIN));
    expect(v.CURRENT_TIME).toEqual(new Date(T));
    expect(v.PAGINATION_CURSOR).toBeUndefined();
  });

  it('the engine adds page params only when the metadata does not place them itself', () => {
    const bare = { ...stockoutSource(), request: stockoutSource().request.slice(0, 2) };
    expect(enginePageParams(plan({}, bare), { page: 3, pageSize: 100, cursor: null })).toEqual({ page_no: 3, page_size: 100 });
    expect(enginePageParams(plan({}), { page: 3, pageSize: 100, cursor: null })).toEqual({});
    expect(enginePageParams(plan({ pagination: { style: 'offset', pageSize: 20 } }, bare), { page: 3, pageSize: 20, cursor: null })).toEqual({ offset: 60, limit: 20 });
    expect(enginePageParams(plan({ pagination: { style: 'cursor', pageSize: 20 } }, bare), { page: 1, pageSize: 20, cursor: 'abc' })).toEqual({ cursor: 'abc', limit: 20 });
  });

  it('the style follows the variables the metadata uses', () => {
    const withVar = (v: string) => ({ ...stockoutSource(), request: [{ field: 'x', value: `{{${v}}}` }] });
    expect(plan({}, withVar('PAGINATION_CURSOR')).pagination.style).toBe('cursor');
    expect(plan({}, withVar('PAGINATION_START_ROW')).pagination.style).toBe('offset');
    expect(plan({}, withVar('PAGINATION_PAGE')).pagination.style).toBe('page');
    expect(plan({}).pagination).toMatchObject({ style: 'page', firstPage: 0, pageSize: 100 });
  });

  it('stop on a short page, on reaching total_count, or when the next token is empty', () => {
    const p = plan({});
    expect(afterPage(p, job({ page: 0 }), { rows: 100, total: 250 }, T)).toMatchObject({ kind: 'next', job: { page: 1, total: 250 } });
    expect(afterPage(p, job({ page: 1, total: 250 }), { rows: 100, total: 250 }, T)).toMatchObject({ kind: 'next', job: { page: 2 } });
    expect(afterPage(p, job({ page: 2, total: 250 }), { rows: 50, total: 250 }, T)).toEqual({ kind: 'chunkDone', verify: false });
    expect(afterPage(p, job({ page: 1, total: 200 }), { rows: 100, total: 200 }, T)).toEqual({ kind: 'chunkDone', verify: false });
    expect(afterPage(p, job({ page: 0 }), { rows: 3 }, T)).toEqual({ kind: 'chunkDone', verify: false });
    // Later pages without a count: confirm the first page's count before trusting the pass.
    expect(afterPage(p, job({ page: 1, total: 150 }), { rows: 50 }, T)).toEqual({ kind: 'chunkDone', verify: true });
    const c = plan({ pagination: { style: 'cursor' } });
    expect(afterPage(c, job({ page: 0 }), { rows: 100, nextCursor: 'n1' }, T)).toMatchObject({ kind: 'next', job: { cursor: 'n1', page: 1 } });
    expect(afterPage(c, job({ page: 1 }), { rows: 100 }, T)).toEqual({ kind: 'chunkDone', verify: false });
  });

  it('a count that changes under the pager means: read the chunk again; after maxRereads, read its first half', () => {
    const p = plan({ maxRereads: 2 });
    const again = afterPage(p, job({ page: 2, total: 300 }), { rows: 100, total: 303 }, T);
    expect(again).toMatchObject({ kind: 'reread', job: { page: 0, pass: 1, chunkFrom: T - 60 * MIN, chunkTo: T, total: null } });
    const split = afterPage(p, job({ page: 2, total: 300, pass: 2 }), { rows: 100, total: 297 }, T);
    expect(split).toMatchObject({ kind: 'reread', job: { page: 0, pass: 0, chunkFrom: T - 60 * MIN, chunkTo: T - 30 * MIN } });
    expect((split as { reason: string }).reason).toMatch(/splitting/);
  });
});

describe('schedule options', () => {
  const check = (schedule: unknown, md: Record<string, unknown> = stockoutSource()) => {
    const issues: Issue[] = [];
    sourcePlan(schedule, { metadata: md as never, api: catalogueByName.get('trade_query')!, findApi: (n) => catalogueByName.get(n) }, 'schedule', issues);
    return issues;
  };

  it('every problem is named with its path', () => {
    const issues = check({
      cron: 'every five minutes',
      timezone: 'Mars/Olympus',
      overlapMinutes: -1,
      maxWindowMinutes: 120,
      startTime: 'soon',
      pagination: { style: 'random', pageSize: 1000 },
      detail: { api: 'nope', request: [] },
      requires: [42],
      triggeredBy: [{ scheme: 'x', on: 'whenever' }],
      retryLadder: [],
      colour: 'blue',
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'schedule.cron', 'schedule.timezone', 'schedule.overlapMinutes', 'schedule.maxWindowMinutes', 'schedule.startTime',
        'schedule.pagination.style', 'schedule.pagination.pageSize', 'schedule.detail.api', 'schedule.detail.request',
        'schedule.requires[0]', 'schedule.triggeredBy[0].on', 'schedule.retryLadder', 'schedule.colour',
      ]),
    );
    expect(issues.find((i) => i.path === 'schedule.maxWindowMinutes')!.message).toMatch(/at most 60 minutes/);
  });

  it('window options need LAST_SYNC_TIME / CURRENT_TIME in the request', () => {
    const issues = check({ overlapMinutes: 5 }, { ...stockoutSource(), request: [] });
    expect(issues[0].message).toMatch(/LAST_SYNC_TIME/);
  });

  it('a target schedule needs a cron or a trigger', () => {
    const issues: Issue[] = [];
    targetPlan({ requires: ['a'] }, 'target.schedule', issues);
    expect(issues[0].message).toMatch(/cron or triggeredBy/);
  });

  it('workspace check lists schedule problems across schemes', async () => {
    const platforms = await loadPlatforms();
    const dir = tmpDir('qiao-sched-check-');
    fs.cpSync(path.join(ROOT, 'examples/wdt-stockout-to-http'), dir, { recursive: true });
    const f = path.join(dir, 'schemes/stockout-to-http.json');
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    s.source.schedule = { ...s.source.schedule, requires: ['ghost'], triggeredBy: ['stockout-to-http'], cron: '61 * * * *' };
    s.target.schedule = { cron: '0 2 * * *', runsEvery: 3 };
    fs.writeFileSync(f, JSON.stringify(s));
    fs.writeFileSync(
      path.join(dir, 'schemes/push.json'),
      JSON.stringify({
        id: 'push', name: 'p', source: { connector: 'wdt-sandbox', schedule: { cron: '* * * * *' }, metadata: { api: 'trade_push', id: 'tid' } },
        target: { connector: 'erp-http', metadata: { api: 'POST /x', request: [] } },
      }),
    );
    const { workspace, issues } = loadWorkspace(dir, { platforms, env: { QIAO_URL: 'http://127.0.0.1:1' } });
    expect(workspace).toBeUndefined();
    const text = issues.map((i) => `${i.path}: ${i.message}`);
    expect(text).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/stockout-to-http.json: source.schedule.cron: not a valid cron/),
        expect.stringMatching(/stockout-to-http.json: target.schedule.runsEvery: unknown option/),
        expect.stringMatching(/push.json: source.metadata.api: "trade_push" is a write API/),
      ]),
    );
    // Fix the cron and the unknown option: the cross-scheme references are checked next.
    s.source.schedule.cron = '*/5 * * * *';
    delete s.target.schedule.runsEvery;
    fs.writeFileSync(f, JSON.stringify(s));
    fs.rmSync(path.join(dir, 'schemes/push.json'));
    const second = loadWorkspace(dir, { platforms, env: { QIAO_URL: 'http://127.0.0.1:1' } }).issues.map((i) => `${i.path}: ${i.message}`);
    expect(second).toEqual([
      'schemes/stockout-to-http.json: source.schedule.requires[0]: unknown scheme "ghost"',
      'schemes/stockout-to-http.json: source.schedule.triggeredBy[0]: a scheme cannot depend on itself',
    ]);
  });
});
