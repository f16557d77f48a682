/**
 * The record store: one row per record (scheme + source id), its trace, and the claims the dispatcher takes.
 * Embedded SQLite is the default; a PostgreSQL implementation for clusters implements the same interface, which is
 * why every method returns a Promise even though SQLite answers synchronously.
 */

/** Record states, numbered as QEasy numbers them (4 is ours: ignored by a human). */
export const RecordStatus = {
  pending: 0, // 等待中
  duplicate: 1, // 重复的
  done: 2, // 已完成
  error: 3, // 错误的
  ignored: 4, // 已忽略
  queued: 5, // 队列中
} as const;
export type RecordStatusCode = (typeof RecordStatus)[keyof typeof RecordStatus];

export const statusName = (code: number): string =>
  (Object.entries(RecordStatus).find(([, v]) => v === code)?.[0]) ?? String(code);

export type IdCheckMode = boolean | 'changed';

export interface IntakeItem {
  schemeId: string;
  sourceId: string;
  number?: string;
  /** Canonical JSON of the record content. */
  content: string;
  /** Content hash, for idCheck "changed". */
  hash: string;
  idCheck: IdCheckMode;
  /** Who pushed it: remote address, request id, app. Kept in the record's history. */
  origin: Record<string, unknown>;
}

export interface IntakeResult {
  outcome: 'accepted' | 'duplicate';
  recordId: number;
}

export interface ClaimedRecord {
  id: number;
  schemeId: string;
  sourceId: string;
  number: string | null;
  /** Content revision: a re-push bumps it; settling an older revision leaves the newer one pending. */
  rev: number;
  content: string;
  attempts: number;
}

export interface RecordEvent {
  kind: 'intake' | 'replace' | 'claim' | 'mapped' | 'call' | 'done' | 'error' | 'retry' | 'stale' | 'action';
  message?: string;
  data?: unknown;
}

export interface CallRow {
  schemeId: string;
  api: string;
  url: string;
  request: unknown;
  status?: number;
  response?: string;
  durationMs: number;
  error?: string;
  outcome: 'ok' | 'business_error' | 'transient';
}

export interface Settlement {
  id: number;
  rev: number;
  status: typeof RecordStatus.done | typeof RecordStatus.error | typeof RecordStatus.pending;
  /** Mapped target item, kept for the trace. */
  mapped?: unknown;
  error?: string | null;
  /** For retries: when to try again (ms epoch). */
  dueAt?: number;
  attempts: number;
  /** Index into the `calls` of the same settle() batch, linking the record to the call that carried it. */
  callIndexes?: number[];
  events?: RecordEvent[];
}

export interface RecordRow {
  id: number;
  schemeId: string;
  sourceId: string;
  number: string | null;
  status: number;
  statusName: string;
  rev: number;
  attempts: number;
  error: string | null;
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface RecordDetail extends RecordRow {
  content: unknown;
  mapped: unknown;
  history: Array<{ at: number; kind: string; message: string | null; data: unknown; call: unknown }>;
}

export interface RecordQuery {
  status?: number;
  limit?: number;
  offset?: number;
}

/** Which records an operator action applies to. All given conditions must hold. */
export interface RecordFilter {
  ids?: number[];
  status?: number[];
  /** created_at range, ms epoch, inclusive. */
  from?: number;
  to?: number;
  /** Text inside the record's error message. */
  errorContains?: string;
}

export interface Store {
  /** Commit pushed records in ONE transaction (the caller groups concurrent pushes). In order: a later item with the same id sees the earlier one. */
  intake(items: IntakeItem[]): Promise<IntakeResult[]>;
  /** Take up to `limit` due records of a scheme (pending and due, or queued with an expired lease), leasing them until now + leaseMs. */
  claim(schemeId: string, limit: number, leaseMs: number, now: number): Promise<ClaimedRecord[]>;
  /** Record call traces and settle records in ONE transaction. A settlement whose rev is stale only releases the lease. */
  settle(calls: CallRow[], settlements: Settlement[], now: number): Promise<void>;
  /** Embedded single-process store only: at start, every claim left by a crashed process returns to the queue. */
  releaseAllClaims(now: number): Promise<number>;
  /** 重新排队: matching records (not in flight) become pending and due now, attempts reset. Returns how many. */
  requeue(schemeId: string, filter: RecordFilter, actor: string, now: number): Promise<number>;
  /** Matching records (not in flight) are set aside as ignored. */
  ignore(schemeId: string, filter: RecordFilter, actor: string, now: number): Promise<number>;
  /** Replace a record's content (an operator's fix) and send it again. False when it does not exist. */
  editContent(schemeId: string, id: number, content: string, hash: string, actor: string, now: number): Promise<boolean>;
  /** Persisted operator switches that override the workspace files: `scheme:<id>` {enabled}, `connector:<name>` {paused}. */
  getState<T extends object>(key: string): Promise<T | null>;
  setState(key: string, state: object): Promise<void>;
  /** `_findCollection`: values of `field` from the scheme's stored records matching every `where` (AND). */
  lookup(q: { schemeId: string; field: string; where: Record<string, unknown> }): Promise<unknown[]>;
  /** Index the record fields lookups query by, so a lookup stays fast on millions of records. */
  ensureLookupIndexes(schemeId: string, fields: string[]): Promise<void>;
  /** Pending records waiting for a later retry become due now (a target came back). Returns how many. */
  expediteRetries(schemeId: string, now: number): Promise<number>;
  /** Records of the scheme that became errors since `since` (ms), for alerts. */
  countErrorsSince(schemeId: string, since: number): Promise<number>;
  countByStatus(schemeId: string): Promise<Record<string, number>>;
  /** When the next pending record of the scheme becomes due (ms), or null. */
  nextDue(schemeId: string): Promise<number | null>;
  listRecords(schemeId: string, q: RecordQuery): Promise<{ total: number; rows: RecordRow[] }>;
  getRecord(schemeId: string, id: number): Promise<RecordDetail | null>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- scheduled sources (source runs and page jobs)

/** One run of a scheme's polled source: a window [windowFrom, windowTo] read page by page, chunk by chunk. */
export interface SourceRun {
  id: number;
  schemeId: string;
  /** What started it: `cron`, `manual`, `upstream:<schemeId>`, `start`. */
  trigger: string;
  status: 'running' | 'done' | 'cancelled';
  /** The whole window (ms epoch); null for sources without a time window (snapshots). */
  windowFrom: number | null;
  windowTo: number | null;
  startedAt: number;
  finishedAt: number | null;
  pages: number;
  rows: number;
  accepted: number;
  duplicate: number;
  filtered: number;
  rejected: number;
  /** Last failure of its current page (cleared when the page succeeds). */
  error: string | null;
}

/** One page of a run: a durable job. Pending until its rows are committed; then done, and the next page is queued. */
export interface SourceJob {
  id: number;
  runId: number;
  schemeId: string;
  status: 'pending' | 'done' | 'cancelled';
  /** The chunk of the run's window this page belongs to (the API's maximum window at most). */
  chunkFrom: number | null;
  chunkTo: number | null;
  /** 0-based page index within this pass over the chunk; the offset is page × pageSize. */
  page: number;
  pageSize: number;
  /** Next-token for cursor paging (null on a chunk's first page). */
  cursor: string | null;
  /** total_count reported by this pass's first page (offset-drift detection). */
  total: number | null;
  /** 0 on the first read of a chunk; +1 for each re-read after the data changed under the pager. */
  pass: number;
  attempts: number;
  dueAt: number;
  error: string | null;
  rows: number | null;
  accepted: number | null;
  duplicate: number | null;
  filtered: number | null;
  rejected: number | null;
  /** Request params of the last attempt (secrets never appear: connectors sign outside params). */
  request: unknown;
  /** Rows rejected by the source metadata, with their problems (first few). */
  issues: unknown;
  createdAt: number;
  finishedAt: number | null;
}

export type NewSourceJob = Pick<SourceJob, 'chunkFrom' | 'chunkTo' | 'page' | 'pageSize' | 'cursor' | 'total' | 'pass'> & { dueAt: number };

export interface PageResult {
  rows: number;
  accepted: number;
  duplicate: number;
  filtered: number;
  rejected: number;
  request: unknown;
  issues?: unknown;
  /** total_count this page reported (kept on a pass's first page). */
  total?: number | null;
}

/** Durable state of scheduled sources. Every method that changes several rows does so in ONE transaction. */
export interface SourceJobStore {
  /** LAST_SYNC_TIME of a scheme (ms epoch), or null before its first completed window. */
  getCursor(schemeId: string): Promise<number | null>;
  /** Operator reset of LAST_SYNC_TIME (null = start over from the configured start time); cancels an open run. */
  setCursor(schemeId: string, at: number | null, actor: string, now: number): Promise<void>;
  /** The scheme's running run and its pending job, if any. */
  openRun(schemeId: string): Promise<{ run: SourceRun; job: SourceJob | null } | null>;
  /** Start a run with its first page job, unless one is open (then that one is returned, created=false). */
  createRun(schemeId: string, trigger: string, window: { from: number | null; to: number | null }, first: NewSourceJob, now: number): Promise<{ run: SourceRun; job: SourceJob; created: boolean }>;
  /**
   * A page's rows are committed: mark the job done, and in the same transaction queue `next` (the next page or
   * chunk), move the cursor to `cursor` (a chunk is complete), and finish the run when `finish` is set.
   */
  completePage(jobId: number, result: PageResult, then: { next?: NewSourceJob; cursor?: number; finish?: boolean }, now: number): Promise<void>;
  /** The page failed (call or storage): it stays pending, due again at `dueAt`. */
  failPage(jobId: number, error: string, dueAt: number, request: unknown, now: number): Promise<void>;
  cancelRun(schemeId: string, reason: string, now: number): Promise<number>;
  listRuns(schemeId: string, limit: number): Promise<SourceRun[]>;
  listJobs(runId: number, limit: number): Promise<SourceJob[]>;
  /** Schemes with an open run (resumed at start). */
  openSchemes(): Promise<string[]>;
}
