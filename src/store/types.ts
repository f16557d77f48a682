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
  /** Records of the scheme that became errors since `since` (ms), for alerts. */
  countErrorsSince(schemeId: string, since: number): Promise<number>;
  countByStatus(schemeId: string): Promise<Record<string, number>>;
  /** When the next pending record of the scheme becomes due (ms), or null. */
  nextDue(schemeId: string): Promise<number | null>;
  listRecords(schemeId: string, q: RecordQuery): Promise<{ total: number; rows: RecordRow[] }>;
  getRecord(schemeId: string, id: number): Promise<RecordDetail | null>;
  close(): Promise<void>;
}
