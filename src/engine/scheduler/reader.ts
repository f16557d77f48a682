/**
 * Executes one page job of a polled source: render the request from the source metadata (LAST_SYNC_TIME,
 * CURRENT_TIME and PAGINATION_* filled in), call the connector through its limiter, optionally call the detail API
 * per listed row, commit the rows through intake (validation, condition, beatFlat, idCheck — exactly as pushes),
 * and only then mark the page done and queue what comes next, in one store transaction.
 *
 * Any failure (call, rate limit, storage) leaves the page pending with a later due time: the cursor never moves
 * past rows that are not durably stored.
 */
import { createHash } from 'node:crypto';
import { TransientError } from '../../errors.ts';
import type { CallTrace, QueryOutcome } from '../../connectors/types.ts';
import { getPath } from '../../connectors/http/check.ts';
import { compileTarget, type CompiledTarget } from '../../mapping/index.ts';
import type { MetadataDoc, MetaParam } from '../../metadata/types.ts';
import type { PageResult, SourceJob, SourceJobStore, SourceRun } from '../../store/types.ts';
import type { GroupCommitter } from '../group-commit.ts';
import type { Metrics } from '../metrics.ts';
import { intakeRecords } from '../intake.ts';
import { CircuitOpenError } from '../limiter.ts';
import type { SchemeRuntime } from '../runtime.ts';
import type { SourcePlan } from './config.ts';
import { afterPage, floorSec, nextChunk, nextCursorOf, pageVars, enginePageParams, reread, retryDelay, totalOf, type PageStep } from './plan.ts';

export interface ReaderDeps {
  committer: GroupCommitter;
  jobs: SourceJobStore;
  now: () => number;
  /** Records were stored: wake the scheme's dispatcher. */
  onStored(schemeId: string, accepted: number): void;
  log?: { warn(obj: unknown, msg?: string): void; error(obj: unknown, msg?: string): void };
  metrics?: Metrics;
}

export interface PageOutcome {
  ok: boolean;
  /** What happened next: next page, re-read, chunk done, run done, or retry at. */
  step: 'next' | 'reread' | 'chunk' | 'done' | 'retry';
  result?: PageResult;
  error?: string;
  retryAt?: number;
}

const MAX_ISSUES = 20;

/** The params part of a source metadata document, as a target-like document the mapping engine renders. */
function requestDoc(md: MetadataDoc): MetadataDoc {
  const other = (Array.isArray(md.otherRequest) ? md.otherRequest : []).filter(
    (p: MetaParam) => p && p.field !== 'beatFlat' && (p as Record<string, unknown>).beatFlat === undefined,
  );
  return { api: md.api, request: md.request ?? [], otherRequest: other };
}

export class SourceReader {
  private readonly params: CompiledTarget;
  private readonly detailParams?: CompiledTarget;
  /** Per chunk: ids + content hashes already committed in this process, so re-reads do not store them again. */
  private seen: { key: string; set: Set<string> } = { key: '', set: new Set() };
  /**
   * The next page's call, started while this page's rows are being committed (reading and storing overlap). Only
   * an optimisation: it is used when the next job asks for exactly these params, and forgotten otherwise.
   */
  private prefetched?: { key: string; result: Promise<QueryOutcome> };

  constructor(
    private readonly rt: SchemeRuntime,
    private readonly plan: SourcePlan,
    private readonly deps: ReaderDeps,
  ) {
    this.params = compileTarget(requestDoc(rt.def.source.metadata), {});
    if (plan.detail) this.detailParams = compileTarget({ api: plan.detail.api, request: plan.detail.request }, {});
  }

  private get schemeId(): string {
    return this.rt.def.id;
  }

  /** The request params of a page (what the connector is called with). */
  async buildParams(job: Pick<SourceJob, 'chunkFrom' | 'chunkTo' | 'page' | 'pageSize' | 'cursor'>): Promise<Record<string, unknown>> {
    const ctx = { vars: pageVars(this.plan, job), now: new Date(this.deps.now()) };
    const m = await this.params.map({}, ctx);
    return { ...m.call, ...m.item, ...enginePageParams(this.plan, job) };
  }

  /** One call through the connector's limiter; limiter bookkeeping as the dispatcher does it. */
  private async call(api: string, params: Record<string, unknown>): Promise<QueryOutcome> {
    const client = this.rt.sourceClient!;
    const limiter = this.rt.sourceLimiter!;
    const release = await limiter.acquire();
    try {
      const out = await client.query!(api, params);
      limiter.onSuccess();
      return out;
    } catch (err) {
      if (err instanceof TransientError) limiter.onTransientFailure(err.rateLimited);
      else limiter.onSuccess(); // it answered: the connector is alive
      throw err;
    } finally {
      release();
    }
  }

  private rowsOf(out: QueryOutcome): unknown[] {
    if (!this.plan.listPath) return out.rows;
    const v = getPath(out.response, this.plan.listPath);
    return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  }

  /** List-then-detail: each listed row is replaced by (or overlaid with) its detail. */
  private async details(rows: unknown[], vars: Record<string, unknown>): Promise<{ rows: unknown[]; missing: Array<{ index: number; reason: string }> }> {
    const d = this.plan.detail!;
    const out: unknown[] = new Array(rows.length);
    const missing: Array<{ index: number; reason: string }> = [];
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= rows.length) return;
        const row = rows[i] as Record<string, unknown>;
        const m = await this.detailParams!.map(row ?? {}, { vars, now: new Date(this.deps.now()) });
        const res = await this.call(d.api, { ...m.call, ...m.item });
        const detail = d.rowPath ? getPath(res.response, d.rowPath) : (res.rows[0] ?? getPath(res.response, '$.data'));
        if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
          missing.push({ index: i, reason: `detail ${d.api} returned no row` });
          out[i] = undefined;
        } else out[i] = d.merge ? { ...row, ...(detail as object) } : detail;
      }
    };
    await Promise.all(Array.from({ length: Math.min(d.concurrency, rows.length) }, worker));
    return { rows: out, missing };
  }

  /** Commit rows through intake; rows already committed in this chunk with the same content are skipped. */
  private async store(rows: unknown[], run: SourceRun, job: SourceJob): Promise<Omit<PageResult, 'request'>> {
    const key = `${run.id}:${job.chunkFrom}:${job.chunkTo}`;
    if (this.seen.key !== key) this.seen = { key, set: new Set() };
    const fresh: unknown[] = [];
    const freshKeys: string[] = [];
    const inPage = new Set<string>();
    let skipped = 0;
    for (const r of rows) {
      if (r === undefined) continue;
      let id: string | undefined;
      try {
        id = r && typeof r === 'object' ? this.rt.source.idOf(r as Record<string, unknown>) : undefined;
      } catch {
        id = undefined;
      }
      const k = id === undefined ? '' : `${id}\u0000${createHash('md5').update(JSON.stringify(r)).digest('hex')}`;
      if (k && (this.seen.set.has(k) || inPage.has(k))) {
        skipped++;
        continue;
      }
      fresh.push(r);
      freshKeys.push(k);
      if (k) inPage.add(k);
    }
    const origin = { poll: { run: run.id, page: job.page, pass: job.pass, chunk: [job.chunkFrom, job.chunkTo] } };
    const summary = fresh.length ? await intakeRecords(this.rt, this.deps.committer, fresh, { origin }) : { accepted: 0, duplicate: 0, filtered: 0, rejected: 0, results: [] };
    for (const k of freshKeys) if (k) this.seen.set.add(k);
    const issues = summary.results
      .filter((r) => r.status === 'rejected')
      .slice(0, MAX_ISSUES)
      .map((r) => ({ index: r.index, id: r.id, issues: r.status === 'rejected' ? r.issues : [] }));
    if (summary.rejected)
      this.deps.log?.warn({ scheme: this.schemeId, run: run.id, page: job.page, rejected: summary.rejected, issues: issues.slice(0, 3) }, 'polled rows rejected by the source metadata');
    if (summary.accepted) this.deps.onStored(this.schemeId, summary.accepted);
    const m = this.deps.metrics;
    if (m) {
      m.pages.inc({ scheme: this.schemeId });
      for (const k of ['accepted', 'duplicate', 'filtered', 'rejected'] as const) if (summary[k]) m.polled.inc({ scheme: this.schemeId, outcome: k }, summary[k]);
    }
    return {
      rows: rows.length,
      accepted: summary.accepted,
      duplicate: summary.duplicate + skipped,
      filtered: summary.filtered,
      rejected: summary.rejected,
      issues: issues.length ? issues : undefined,
    };
  }

  private prefetch(api: string, next: Pick<SourceJob, 'chunkFrom' | 'chunkTo' | 'page' | 'pageSize' | 'cursor'>): void {
    const started = this.buildParams(next).then((p) => ({ key: JSON.stringify(p), result: this.call(api, p) }));
    const entry: { key: string; result: Promise<QueryOutcome> } = { key: '', result: started.then((x) => x.result) };
    // A failed read ahead is not an error: the page's own attempt will call again (or report it).
    entry.result.catch(() => undefined);
    void started.then((x) => (entry.key = x.key), () => undefined);
    this.prefetched = entry;
  }

  /** Runs one page job to its end: done (and the next one queued) or failed (pending, due later). */
  async runPage(run: SourceRun, job: SourceJob): Promise<PageOutcome> {
    const now = this.deps.now();
    let params: Record<string, unknown> | undefined;
    let trace: CallTrace | undefined;
    try {
      params = await this.buildParams(job);
      const api = this.rt.def.source.metadata.api;
      const key = JSON.stringify(params);
      const ahead = this.prefetched?.key === key ? this.prefetched.result : undefined;
      this.prefetched = undefined;
      const out = await (ahead ?? this.call(api, params));
      trace = out.trace;
      let rows = this.rowsOf(out);
      const listed = rows.length;
      const total = totalOf(this.plan, out.response, out.total);
      let step: PageStep = afterPage(this.plan, job, { rows: listed, total, nextCursor: nextCursorOf(this.plan, out.response) }, now);
      if (step.kind === 'chunkDone' && step.verify) {
        const first = await this.call(api, await this.buildParams({ ...job, page: 0, cursor: null }));
        const again = totalOf(this.plan, first.response, first.total);
        if (again !== undefined && again !== job.total) step = reread(this.plan, job, now, `total_count changed from ${job.total} to ${again} while paging`);
      }
      if (step.kind === 'next') this.prefetch(api, step.job);
      let missing: Array<{ index: number; reason: string }> = [];
      if (this.plan.detail && rows.length) ({ rows, missing } = await this.details(rows, pageVars(this.plan, job)));
      const stored = await this.store(rows, run, job);
      const request = { params, url: trace?.url, status: trace?.status, durationMs: trace?.durationMs, listed };
      const result: PageResult = {
        ...stored,
        rejected: stored.rejected + missing.length,
        issues: missing.length ? [...((stored.issues as unknown[]) ?? []), ...missing] : stored.issues,
        request,
        total: job.page === 0 ? (total ?? null) : undefined,
      };
      if (step.kind === 'next') {
        await this.deps.jobs.completePage(job.id, result, { next: step.job }, this.deps.now());
        return { ok: true, step: 'next', result };
      }
      if (step.kind === 'reread') {
        this.deps.log?.warn({ scheme: this.schemeId, run: run.id, page: job.page, reason: step.reason }, 'source data changed during paging; reading the window again');
        await this.deps.jobs.completePage(job.id, { ...result, issues: [...((result.issues as unknown[]) ?? []), { reread: step.reason }] }, { next: step.job }, this.deps.now());
        return { ok: true, step: 'reread', result };
      }
      // The chunk is complete and stored: LAST_SYNC_TIME moves to its end, in the same transaction as the page.
      const cursor = job.chunkTo ?? (run.windowFrom === null ? floorSec(now) : undefined);
      const next = nextChunk(this.plan, job, run.windowTo, this.deps.now());
      await this.deps.jobs.completePage(job.id, result, { cursor, next, finish: !next }, this.deps.now());
      return { ok: true, step: next ? 'chunk' : 'done', result };
    } catch (err) {
      const e = err as Error & { trace?: CallTrace; retryAt?: number; rateLimited?: boolean };
      const delay = retryDelay(this.plan, job.attempts);
      let retryAt = this.deps.now() + delay;
      if (err instanceof CircuitOpenError) retryAt = Math.max(err.retryAt, this.deps.now() + 1000);
      else if (e.rateLimited) retryAt = Math.max(this.rt.sourceLimiter!.blockedUntil(Date.now()) - Date.now() + this.deps.now(), this.deps.now() + 1000);
      const message = e.message ?? String(err);
      const t = e.trace ?? trace;
      await this.deps.jobs.failPage(job.id, message, retryAt, { params, url: t?.url, status: t?.status, response: t?.response?.slice(0, 2000) }, this.deps.now());
      this.deps.log?.warn({ scheme: this.schemeId, run: run.id, page: job.page, attempts: job.attempts + 1, err: message }, 'source page failed; will retry');
      return { ok: false, step: 'retry', error: message, retryAt };
    }
  }
}
