/**
 * Scheduled-source state on the embedded store's SQLite database (its own tables on `SqliteStore.db`):
 * the cursor (LAST_SYNC_TIME) per scheme, source runs, and their page jobs.
 *
 * The order of writes is what makes polling safe: a page's rows are committed by intake first; only then does
 * completePage() mark the page done and — in the same transaction — queue the next page or move the cursor.
 * A crash before completePage() re-reads that one page (its rows come back as duplicates); a crash after it resumes
 * at the next page. The cursor never moves past rows that are not stored.
 */
import type Database from 'better-sqlite3';
import type { NewSourceJob, PageResult, SourceJob, SourceJobStore, SourceRun } from '../types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS source_cursors (
  scheme_id   TEXT PRIMARY KEY,
  last_sync   INTEGER,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT
);
CREATE TABLE IF NOT EXISTS source_runs (
  id          INTEGER PRIMARY KEY,
  scheme_id   TEXT    NOT NULL,
  trigger     TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  window_from INTEGER,
  window_to   INTEGER,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  pages       INTEGER NOT NULL DEFAULT 0,
  rows        INTEGER NOT NULL DEFAULT 0,
  accepted    INTEGER NOT NULL DEFAULT 0,
  duplicate   INTEGER NOT NULL DEFAULT 0,
  filtered    INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0,
  error       TEXT
);
CREATE INDEX IF NOT EXISTS source_runs_scheme ON source_runs (scheme_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS source_runs_open ON source_runs (scheme_id) WHERE status = 'running';
CREATE TABLE IF NOT EXISTS source_jobs (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL,
  scheme_id   TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  chunk_from  INTEGER,
  chunk_to    INTEGER,
  page        INTEGER NOT NULL,
  page_size   INTEGER NOT NULL,
  cursor      TEXT,
  total       INTEGER,
  pass        INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0,
  due_at      INTEGER NOT NULL,
  error       TEXT,
  rows        INTEGER,
  accepted    INTEGER,
  duplicate   INTEGER,
  filtered    INTEGER,
  rejected    INTEGER,
  request     TEXT,
  issues      TEXT,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS source_jobs_run ON source_jobs (run_id, id);
CREATE INDEX IF NOT EXISTS source_jobs_pending ON source_jobs (scheme_id) WHERE status = 'pending';
`;

interface RunRow {
  id: number;
  scheme_id: string;
  trigger: string;
  status: SourceRun['status'];
  window_from: number | null;
  window_to: number | null;
  started_at: number;
  finished_at: number | null;
  pages: number;
  rows: number;
  accepted: number;
  duplicate: number;
  filtered: number;
  rejected: number;
  error: string | null;
}

interface JobRow {
  id: number;
  run_id: number;
  scheme_id: string;
  status: SourceJob['status'];
  chunk_from: number | null;
  chunk_to: number | null;
  page: number;
  page_size: number;
  cursor: string | null;
  total: number | null;
  pass: number;
  attempts: number;
  due_at: number;
  error: string | null;
  rows: number | null;
  accepted: number | null;
  duplicate: number | null;
  filtered: number | null;
  rejected: number | null;
  request: string | null;
  issues: string | null;
  created_at: number;
  finished_at: number | null;
}

const parse = (s: string | null): unknown => (s == null ? null : JSON.parse(s));
const json = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

function toRun(r: RunRow): SourceRun {
  return {
    id: r.id,
    schemeId: r.scheme_id,
    trigger: r.trigger,
    status: r.status,
    windowFrom: r.window_from,
    windowTo: r.window_to,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    pages: r.pages,
    rows: r.rows,
    accepted: r.accepted,
    duplicate: r.duplicate,
    filtered: r.filtered,
    rejected: r.rejected,
    error: r.error,
  };
}

function toJob(r: JobRow): SourceJob {
  return {
    id: r.id,
    runId: r.run_id,
    schemeId: r.scheme_id,
    status: r.status,
    chunkFrom: r.chunk_from,
    chunkTo: r.chunk_to,
    page: r.page,
    pageSize: r.page_size,
    cursor: r.cursor,
    total: r.total,
    pass: r.pass,
    attempts: r.attempts,
    dueAt: r.due_at,
    error: r.error,
    rows: r.rows,
    accepted: r.accepted,
    duplicate: r.duplicate,
    filtered: r.filtered,
    rejected: r.rejected,
    request: parse(r.request),
    issues: parse(r.issues),
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

export class SqliteSourceJobs implements SourceJobStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.s = {
      cursor: db.prepare<[string], { last_sync: number | null }>('SELECT last_sync FROM source_cursors WHERE scheme_id = ?'),
      setCursor: db.prepare(
        `INSERT INTO source_cursors (scheme_id, last_sync, updated_at, updated_by) VALUES (@schemeId, @at, @now, @by)
         ON CONFLICT (scheme_id) DO UPDATE SET last_sync = excluded.last_sync, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      ),
      openRun: db.prepare<[string], RunRow>(`SELECT * FROM source_runs WHERE scheme_id = ? AND status = 'running'`),
      pendingJob: db.prepare<[number], JobRow>(`SELECT * FROM source_jobs WHERE run_id = ? AND status = 'pending' ORDER BY id LIMIT 1`),
      run: db.prepare<[number], RunRow>('SELECT * FROM source_runs WHERE id = ?'),
      job: db.prepare<[number], JobRow>('SELECT * FROM source_jobs WHERE id = ?'),
      insertRun: db.prepare(
        `INSERT INTO source_runs (scheme_id, trigger, status, window_from, window_to, started_at) VALUES (?, ?, 'running', ?, ?, ?)`,
      ),
      insertJob: db.prepare(
        `INSERT INTO source_jobs (run_id, scheme_id, status, chunk_from, chunk_to, page, page_size, cursor, total, pass, due_at, created_at)
         VALUES (@runId, @schemeId, 'pending', @chunkFrom, @chunkTo, @page, @pageSize, @cursor, @total, @pass, @dueAt, @now)`,
      ),
      doneJob: db.prepare(
        `UPDATE source_jobs SET status = 'done', rows = @rows, accepted = @accepted, duplicate = @duplicate, filtered = @filtered,
           rejected = @rejected, request = @request, issues = @issues, total = COALESCE(@total, total), error = NULL,
           finished_at = @now WHERE id = @id AND status = 'pending'`,
      ),
      addToRun: db.prepare(
        `UPDATE source_runs SET pages = pages + 1, rows = rows + @rows, accepted = accepted + @accepted, duplicate = duplicate + @duplicate,
           filtered = filtered + @filtered, rejected = rejected + @rejected, error = NULL WHERE id = @runId`,
      ),
      finishRun: db.prepare(`UPDATE source_runs SET status = @status, finished_at = @now, error = COALESCE(@error, error) WHERE id = @id`),
      failJob: db.prepare(
        `UPDATE source_jobs SET attempts = attempts + 1, error = @error, due_at = @dueAt, request = @request WHERE id = @id AND status = 'pending'`,
      ),
      failRun: db.prepare('UPDATE source_runs SET error = ? WHERE id = ?'),
      cancelJobs: db.prepare(`UPDATE source_jobs SET status = 'cancelled', finished_at = ?, error = COALESCE(error, ?) WHERE run_id = ? AND status = 'pending'`),
      runs: db.prepare<[string, number], RunRow>('SELECT * FROM source_runs WHERE scheme_id = ? ORDER BY id DESC LIMIT ?'),
      jobs: db.prepare<[number, number], JobRow>('SELECT * FROM source_jobs WHERE run_id = ? ORDER BY id LIMIT ?'),
      openSchemes: db.prepare<[], { scheme_id: string }>(`SELECT scheme_id FROM source_runs WHERE status = 'running'`),
    };
  }

  async getCursor(schemeId: string): Promise<number | null> {
    return this.s.cursor.get(schemeId)?.last_sync ?? null;
  }

  async setCursor(schemeId: string, at: number | null, actor: string, now: number): Promise<void> {
    this.db.transaction(() => {
      this.cancel(schemeId, `cursor reset by ${actor}`, now);
      this.s.setCursor.run({ schemeId, at, now, by: actor });
    })();
  }

  async openRun(schemeId: string): Promise<{ run: SourceRun; job: SourceJob | null } | null> {
    const run = this.s.openRun.get(schemeId);
    if (!run) return null;
    const job = this.s.pendingJob.get(run.id);
    return { run: toRun(run), job: job ? toJob(job) : null };
  }

  async createRun(
    schemeId: string,
    trigger: string,
    window: { from: number | null; to: number | null },
    first: NewSourceJob,
    now: number,
  ): Promise<{ run: SourceRun; job: SourceJob; created: boolean }> {
    return this.db.transaction(() => {
      const open = this.s.openRun.get(schemeId);
      if (open) {
        const job = this.s.pendingJob.get(open.id);
        if (job) return { run: toRun(open), job: toJob(job), created: false };
        // A run without a pending job cannot progress (should not happen): close it and start afresh.
        this.s.finishRun.run({ id: open.id, status: 'cancelled', now, error: 'no pending page' });
      }
      const runId = Number(this.s.insertRun.run(schemeId, trigger, window.from, window.to, now).lastInsertRowid);
      const jobId = Number(this.s.insertJob.run({ ...first, runId, schemeId, now }).lastInsertRowid);
      return { run: toRun(this.s.run.get(runId)!), job: toJob(this.s.job.get(jobId)!), created: true };
    })();
  }

  async completePage(jobId: number, r: PageResult, then: { next?: NewSourceJob; cursor?: number; finish?: boolean }, now: number): Promise<void> {
    this.db.transaction(() => {
      const job = this.s.job.get(jobId);
      if (!job) throw new Error(`source job ${jobId} does not exist`);
      const changed = this.s.doneJob.run({
        id: jobId,
        rows: r.rows,
        accepted: r.accepted,
        duplicate: r.duplicate,
        filtered: r.filtered,
        rejected: r.rejected,
        request: json(r.request),
        issues: json(r.issues),
        total: r.total ?? null,
        now,
      }).changes;
      // Cancelled meanwhile (operator reset): its rows are stored, but the plan is void.
      if (changed === 0) return;
      this.s.addToRun.run({ runId: job.run_id, rows: r.rows, accepted: r.accepted, duplicate: r.duplicate, filtered: r.filtered, rejected: r.rejected });
      if (then.cursor !== undefined) this.s.setCursor.run({ schemeId: job.scheme_id, at: then.cursor, now, by: `run ${job.run_id}` });
      if (then.next) this.s.insertJob.run({ ...then.next, runId: job.run_id, schemeId: job.scheme_id, now });
      else if (then.finish) this.s.finishRun.run({ id: job.run_id, status: 'done', now, error: null });
    })();
  }

  async failPage(jobId: number, error: string, dueAt: number, request: unknown, now: number): Promise<void> {
    void now;
    this.db.transaction(() => {
      const job = this.s.job.get(jobId);
      if (!job) return;
      this.s.failJob.run({ id: jobId, error, dueAt, request: json(request) });
      this.s.failRun.run(error, job.run_id);
    })();
  }

  private cancel(schemeId: string, reason: string, now: number): number {
    const open = this.s.openRun.get(schemeId);
    if (!open) return 0;
    this.s.cancelJobs.run(now, reason, open.id);
    this.s.finishRun.run({ id: open.id, status: 'cancelled', now, error: reason });
    return 1;
  }

  async cancelRun(schemeId: string, reason: string, now: number): Promise<number> {
    return this.db.transaction(() => this.cancel(schemeId, reason, now))();
  }

  async listRuns(schemeId: string, limit: number): Promise<SourceRun[]> {
    return this.s.runs.all(schemeId, limit).map(toRun);
  }

  async listJobs(runId: number, limit: number): Promise<SourceJob[]> {
    return this.s.jobs.all(runId, limit).map(toJob);
  }

  async openSchemes(): Promise<string[]> {
    return this.s.openSchemes.all().map((r) => r.scheme_id);
  }
}
