/**
 * Embedded record store on SQLite (better-sqlite3, WAL). Durability: `synchronous=FULL` by default, so a committed
 * intake survives `kill -9` and power loss; intake batches many pushes into one transaction (group commit), so the
 * fsync cost is shared.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  RecordStatus,
  statusName,
  type CallRow,
  type ClaimedRecord,
  type IntakeItem,
  type IntakeResult,
  type RecordDetail,
  type RecordEvent,
  type RecordFilter,
  type RecordQuery,
  type RecordRow,
  type Settlement,
  type Store,
} from '../types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id          INTEGER PRIMARY KEY,
  scheme_id   TEXT    NOT NULL,
  source_id   TEXT    NOT NULL,
  number      TEXT,
  status      INTEGER NOT NULL,
  rev         INTEGER NOT NULL DEFAULT 1,
  content     TEXT    NOT NULL,
  hash        TEXT    NOT NULL,
  mapped      TEXT,
  error       TEXT,
  attempts    INTEGER NOT NULL DEFAULT 0,
  -- pending: when it may be sent; queued: when its lease expires. NULL once settled.
  due_at      INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (scheme_id, source_id)
);
CREATE INDEX IF NOT EXISTS records_due ON records (scheme_id, due_at) WHERE status IN (0, 5);
CREATE INDEX IF NOT EXISTS records_status ON records (scheme_id, status, id);
CREATE TABLE IF NOT EXISTS calls (
  id          INTEGER PRIMARY KEY,
  scheme_id   TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  api         TEXT    NOT NULL,
  url         TEXT    NOT NULL,
  request     TEXT,
  status      INTEGER,
  response    TEXT,
  duration_ms REAL    NOT NULL,
  error       TEXT,
  outcome     TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS record_events (
  id          INTEGER PRIMARY KEY,
  record_id   INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  message     TEXT,
  data        TEXT,
  call_id     INTEGER
);
CREATE INDEX IF NOT EXISTS record_events_record ON record_events (record_id, id);
CREATE TABLE IF NOT EXISTS switches (
  key         TEXT PRIMARY KEY,
  state       TEXT NOT NULL
);
`;

export interface SqliteStoreOptions {
  /** Folder holding `qiao.db`. Use ':memory:' only in tests that do not need durability. */
  dataDir: string;
  /** FULL (default) survives power loss; NORMAL survives process crashes only. */
  synchronous?: 'FULL' | 'NORMAL';
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = (s: string | null): unknown => (s == null ? null : JSON.parse(s));

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly stmts;

  constructor(opts: SqliteStoreOptions) {
    let file = ':memory:';
    if (opts.dataDir !== ':memory:') {
      fs.mkdirSync(opts.dataDir, { recursive: true });
      file = path.join(opts.dataDir, 'qiao.db');
    }
    // One process owns an embedded store: a second `qiao serve` on the same data folder fails fast instead of
    // two dispatchers sending the same records. The OS drops the lock when the owner dies, even by kill -9.
    this.db = new Database(file, { timeout: 200 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec('BEGIN IMMEDIATE; COMMIT;');
    } catch (e) {
      this.db.close();
      if ((e as { code?: string }).code === 'SQLITE_BUSY')
        throw new Error(`the data folder ${opts.dataDir} is in use by another Qiao process`);
      throw e;
    }
    this.db.exec(SCHEMA);
    const db = this.db;
    this.stmts = {
      find: db.prepare<[string, string], { id: number; status: number; hash: string; rev: number }>(
        'SELECT id, status, hash, rev FROM records WHERE scheme_id = ? AND source_id = ?',
      ),
      insert: db.prepare(
        `INSERT INTO records (scheme_id, source_id, number, status, content, hash, due_at, created_at, updated_at)
         VALUES (@schemeId, @sourceId, @number, 0, @content, @hash, @now, @now, @now)`,
      ),
      // A replaced record that is in flight keeps its lease (status 5): the older revision finishes first, then
      // the stale settle releases it and the new revision goes out. That keeps one id's updates in arrival order.
      replace: db.prepare(
        `UPDATE records SET content = @content, hash = @hash, number = @number, rev = rev + 1, attempts = 0,
           error = NULL, mapped = NULL, updated_at = @now,
           status = CASE WHEN status = 5 THEN 5 ELSE 0 END,
           due_at = CASE WHEN status = 5 THEN due_at ELSE @now END
         WHERE id = @id`,
      ),
      event: db.prepare(
        'INSERT INTO record_events (record_id, at, kind, message, data, call_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      due: db.prepare<[string, number, number], { id: number }>(
        `SELECT id FROM records WHERE scheme_id = ? AND status IN (0, 5) AND due_at <= ? ORDER BY due_at, id LIMIT ?`,
      ),
      lease: db.prepare<[number, number, number]>(
        'UPDATE records SET status = 5, due_at = ?, updated_at = ? WHERE id = ?',
      ),
      claimed: db.prepare<[number], ClaimedRecord>(
        `SELECT id, scheme_id AS schemeId, source_id AS sourceId, number, rev, content, attempts FROM records WHERE id = ?`,
      ),
      insertCall: db.prepare(
        `INSERT INTO calls (scheme_id, at, api, url, request, status, response, duration_ms, error, outcome)
         VALUES (@schemeId, @at, @api, @url, @request, @status, @response, @durationMs, @error, @outcome)`,
      ),
      settle: db.prepare(
        `UPDATE records SET status = @status, mapped = @mapped, error = @error, attempts = @attempts,
           due_at = @dueAt, updated_at = @now WHERE id = @id AND rev = @rev`,
      ),
      // Stale settle: a newer revision arrived while this one was in flight; it is now due.
      release: db.prepare('UPDATE records SET status = 0, due_at = ?, updated_at = ? WHERE id = ? AND status = 5'),
      counts: db.prepare<[string], { status: number; n: number }>(
        'SELECT status, COUNT(*) AS n FROM records WHERE scheme_id = ? GROUP BY status',
      ),
      nextDue: db.prepare<[string], { d: number | null }>(
        'SELECT MIN(due_at) AS d FROM records WHERE scheme_id = ? AND status IN (0, 5)',
      ),
      get: db.prepare<[string, number], RawRow>('SELECT * FROM records WHERE scheme_id = ? AND id = ?'),
      history: db.prepare<[number], RawEvent>(
        `SELECT e.at, e.kind, e.message, e.data, c.api, c.url, c.request, c.status, c.response, c.duration_ms,
                c.error AS call_error, c.outcome, c.id AS call_id
         FROM record_events e LEFT JOIN calls c ON c.id = e.call_id WHERE e.record_id = ? ORDER BY e.id`,
      ),
    };
  }

  async intake(items: IntakeItem[]): Promise<IntakeResult[]> {
    const now = Date.now();
    const s = this.stmts;
    const run = this.db.transaction((batch: IntakeItem[]) =>
      batch.map((it): IntakeResult => {
        const existing = s.find.get(it.schemeId, it.sourceId);
        const origin = json(it.origin);
        if (!existing) {
          const id = Number(
            s.insert.run({ ...it, number: it.number ?? null, now }).lastInsertRowid,
          );
          s.event.run(id, now, 'intake', null, origin, null);
          return { outcome: 'accepted', recordId: id };
        }
        const resend = it.idCheck === false || (it.idCheck === 'changed' && existing.hash !== it.hash);
        if (!resend) {
          s.event.run(existing.id, now, 'intake', 'duplicate: not sent again (idCheck)', origin, null);
          return { outcome: 'duplicate', recordId: existing.id };
        }
        s.replace.run({ ...it, number: it.number ?? null, now, id: existing.id });
        s.event.run(existing.id, now, 'replace', 'content replaced by a new push; will be sent again', origin, null);
        return { outcome: 'accepted', recordId: existing.id };
      }),
    );
    return run(items);
  }

  async claim(schemeId: string, limit: number, leaseMs: number, now: number): Promise<ClaimedRecord[]> {
    const s = this.stmts;
    return this.db.transaction(() => {
      const ids = s.due.all(schemeId, now, limit);
      const out: ClaimedRecord[] = [];
      for (const { id } of ids) {
        s.lease.run(now + leaseMs, now, id);
        out.push(s.claimed.get(id)!);
      }
      return out;
    })();
  }

  async settle(calls: CallRow[], settlements: Settlement[], now: number): Promise<void> {
    const s = this.stmts;
    this.db.transaction(() => {
      const callIds = calls.map((c) =>
        Number(
          s.insertCall.run({
            schemeId: c.schemeId,
            at: now,
            api: c.api,
            url: c.url,
            request: json(c.request),
            status: c.status ?? null,
            response: c.response ?? null,
            durationMs: c.durationMs,
            error: c.error ?? null,
            outcome: c.outcome,
          }).lastInsertRowid,
        ),
      );
      for (const st of settlements) {
        const changed = s.settle.run({
          id: st.id,
          rev: st.rev,
          status: st.status,
          mapped: json(st.mapped),
          error: st.error ?? null,
          attempts: st.attempts,
          dueAt: st.status === RecordStatus.pending ? (st.dueAt ?? now) : null,
          now,
        }).changes;
        const events: RecordEvent[] = [...(st.events ?? [])];
        if (changed === 0) {
          s.release.run(now, now, st.id);
          events.push({ kind: 'stale', message: 'a newer push arrived while this one was in flight; sending it next' });
        }
        for (const ci of st.callIndexes ?? []) {
          s.event.run(st.id, now, 'call', null, null, callIds[ci]);
        }
        for (const e of events) s.event.run(st.id, now, e.kind, e.message ?? null, json(e.data), null);
      }
    })();
  }

  async releaseAllClaims(now: number): Promise<number> {
    return this.db.transaction(() => {
      const ids = this.db.prepare('SELECT id FROM records WHERE status = 5').all() as { id: number }[];
      const release = this.db.prepare('UPDATE records SET status = 0, due_at = ?, updated_at = ? WHERE id = ?');
      for (const { id } of ids) {
        release.run(now, now, id);
        this.stmts.event.run(id, now, 'claim', 'claim of a stopped process released; will be sent again', null, null);
      }
      return ids.length;
    })();
  }

  /** SQL for a filter; in-flight (queued) records are never touched by operator actions. */
  private filterSql(schemeId: string, f: RecordFilter): { where: string; args: unknown[] } {
    const parts = ['scheme_id = ?', 'status != 5'];
    const args: unknown[] = [schemeId];
    if (f.ids?.length) {
      parts.push(`id IN (${f.ids.map(() => '?').join(',')})`);
      args.push(...f.ids);
    }
    if (f.status?.length) {
      parts.push(`status IN (${f.status.map(() => '?').join(',')})`);
      args.push(...f.status);
    }
    if (f.from !== undefined) parts.push('created_at >= ?'), args.push(f.from);
    if (f.to !== undefined) parts.push('created_at <= ?'), args.push(f.to);
    if (f.errorContains) parts.push("instr(coalesce(error, ''), ?) > 0"), args.push(f.errorContains);
    return { where: parts.join(' AND '), args };
  }

  private applyAction(schemeId: string, f: RecordFilter, set: string, setArgs: unknown[], message: string, actor: string, now: number): number {
    const { where, args } = this.filterSql(schemeId, f);
    return this.db.transaction(() => {
      const ids = (this.db.prepare(`SELECT id FROM records WHERE ${where}`).all(...args) as { id: number }[]).map((r) => r.id);
      const upd = this.db.prepare(`UPDATE records SET ${set}, updated_at = ? WHERE id = ?`);
      const data = JSON.stringify({ actor });
      for (const id of ids) {
        upd.run(...setArgs, now, id);
        this.stmts.event.run(id, now, 'action', message, data, null);
      }
      return ids.length;
    })();
  }

  async requeue(schemeId: string, f: RecordFilter, actor: string, now: number): Promise<number> {
    return this.applyAction(schemeId, f, 'status = 0, due_at = ?, attempts = 0, error = NULL', [now], `re-queued by ${actor}`, actor, now);
  }

  async ignore(schemeId: string, f: RecordFilter, actor: string, now: number): Promise<number> {
    return this.applyAction(schemeId, f, 'status = 4, due_at = NULL', [], `ignored by ${actor}`, actor, now);
  }

  async editContent(schemeId: string, id: number, content: string, hash: string, actor: string, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      const row = this.stmts.get.get(schemeId, id);
      if (!row) return false;
      this.stmts.replace.run({ content, hash, number: row.number, now, id });
      this.stmts.event.run(id, now, 'action', `content edited by ${actor}; will be sent again`, JSON.stringify({ actor, before: JSON.parse(row.content) }), null);
      return true;
    })();
  }

  async getState<T extends object>(key: string): Promise<T | null> {
    const row = this.db.prepare('SELECT state FROM switches WHERE key = ?').get(key) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as T) : null;
  }

  async setState(key: string, state: object): Promise<void> {
    this.db
      .prepare('INSERT INTO switches (key, state) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state')
      .run(key, JSON.stringify(state));
  }

  private readonly lookupStmts = new Map<string, Database.Statement>();

  async ensureLookupIndexes(schemeId: string, fields: string[]): Promise<void> {
    for (const f of fields) {
      const expr = lookupColumn(f);
      if (!expr || f === 'id') continue; // (scheme_id, source_id) is already unique-indexed
      const name = `lookup_${createHash('md5').update(`${schemeId}\0${f}`).digest('hex').slice(0, 16)}`;
      // Partial index per scheme: only that scheme's records pay for it. Scheme ids are [A-Za-z0-9_-] (checked at load).
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON records (${expr}) WHERE scheme_id = '${schemeId}'`);
    }
  }

  async lookup(q: { schemeId: string; field: string; where: Record<string, unknown> }): Promise<unknown[]> {
    const names = Object.keys(q.where);
    const cols = names.map(lookupColumn);
    const out = lookupColumn(q.field);
    if (!out || cols.some((c) => !c) || !/^[A-Za-z0-9_-]+$/.test(q.schemeId)) {
      throw new Error(`_findCollection: fields must be letters, digits, "_" and "." (got ${[q.field, ...names].join(', ')})`);
    }
    const key = `${q.schemeId}\0${q.field}\0${names.join('\0')}`;
    let stmt = this.lookupStmts.get(key);
    if (!stmt) {
      // The scheme id is a literal so the planner can use the scheme's partial indexes.
      const sql = `SELECT ${out} AS v FROM records WHERE scheme_id = '${q.schemeId}' AND ${cols.map((c) => `${c} = ?`).join(' AND ')} ORDER BY id LIMIT 1000`;
      stmt = this.db.prepare(sql);
      this.lookupStmts.set(key, stmt);
    }
    const rows = stmt.all(...names.map((n) => String(q.where[n]))) as Array<{ v: unknown }>;
    return rows.map((r) => (typeof r.v === 'string' && (q.field !== 'id' && q.field !== 'number') ? parseJsonValue(r.v) : r.v));
  }

  async expediteRetries(schemeId: string, now: number): Promise<number> {
    return this.db
      .prepare('UPDATE records SET due_at = ? WHERE scheme_id = ? AND status = 0 AND due_at > ? AND attempts > 0')
      .run(now, schemeId, now).changes;
  }

  async countErrorsSince(schemeId: string, since: number): Promise<number> {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM records WHERE scheme_id = ? AND status = 3 AND updated_at >= ?')
      .get(schemeId, since) as { n: number };
    return row.n;
  }

  async countByStatus(schemeId: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const name of Object.keys(RecordStatus)) out[name] = 0;
    for (const { status, n } of this.stmts.counts.all(schemeId)) out[statusName(status)] = n;
    return out;
  }

  async nextDue(schemeId: string): Promise<number | null> {
    return this.stmts.nextDue.get(schemeId)?.d ?? null;
  }

  async listRecords(schemeId: string, q: RecordQuery): Promise<{ total: number; rows: RecordRow[] }> {
    const where = q.status === undefined ? 'scheme_id = ?' : 'scheme_id = ? AND status = ?';
    const args: unknown[] = q.status === undefined ? [schemeId] : [schemeId, q.status];
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM records WHERE ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM records WHERE ${where} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit ?? 50, q.offset ?? 0) as RawRow[];
    return { total, rows: rows.map(toRow) };
  }

  async getRecord(schemeId: string, id: number): Promise<RecordDetail | null> {
    const raw = this.stmts.get.get(schemeId, id);
    if (!raw) return null;
    const history = this.stmts.history.all(id).map((e) => ({
      at: e.at,
      kind: e.kind,
      message: e.message,
      data: parse(e.data),
      call:
        e.call_id == null
          ? null
          : {
              id: e.call_id,
              api: e.api,
              url: e.url,
              request: parse(e.request),
              status: e.status,
              response: e.response,
              durationMs: e.duration_ms,
              error: e.call_error,
              outcome: e.outcome,
            },
    }));
    return { ...toRow(raw), content: parse(raw.content), mapped: parse(raw.mapped), history };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

interface RawRow {
  id: number;
  scheme_id: string;
  source_id: string;
  number: string | null;
  status: number;
  rev: number;
  content: string;
  hash: string;
  mapped: string | null;
  error: string | null;
  attempts: number;
  due_at: number | null;
  created_at: number;
  updated_at: number;
}

interface RawEvent {
  at: number;
  kind: string;
  message: string | null;
  data: string | null;
  call_id: number | null;
  api: string | null;
  url: string | null;
  request: string | null;
  status: number | null;
  response: string | null;
  duration_ms: number | null;
  call_error: string | null;
  outcome: string | null;
}

/**
 * The SQL for a record field in lookups: `id` and `number` are columns; anything else is read from the content,
 * compared as text (pushed values are strings and numbers alike). Null for names that are not plain paths.
 */
function lookupColumn(field: string): string | null {
  if (field === 'id') return 'source_id';
  if (field === 'number') return 'number';
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(field)) return null;
  return `CAST(json_extract(content, '$.${field}') AS TEXT)`;
}

/** json_extract as text gives objects and arrays as JSON text; scalars stay as they are. */
function parseJsonValue(v: string): unknown {
  if (v.startsWith('{') || v.startsWith('[')) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

/** A records row as the API shows it; content, hash and mapped are not needed (list queries leave them out). */
export function toRow(r: Omit<RawRow, 'content' | 'hash' | 'mapped'>): RecordRow {
  return {
    id: r.id,
    schemeId: r.scheme_id,
    sourceId: r.source_id,
    number: r.number,
    status: r.status,
    statusName: statusName(r.status),
    rev: r.rev,
    attempts: r.attempts,
    error: r.error,
    dueAt: r.due_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
