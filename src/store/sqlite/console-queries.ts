/**
 * Read-side queries the console needs beyond the Store interface: records with filters (status, time, id/number,
 * text in content or error), calls and record events across schemes (the 日志 page), and the dashboard's
 * per-minute counters, folded incrementally from the event and call tables (only rows added since the last pass are
 * read, by primary key, so the cost follows the traffic, not the table size).
 */
import type Database from 'better-sqlite3';
import { statusName, type RecordRow } from '../types.ts';
import { toRow } from './sqlite-store.ts';
import type { ConfigStore, StatsBucket } from './config-store.ts';

export interface RecordSearch {
  status?: number[];
  /** created_at range (ms), inclusive. */
  from?: number;
  to?: number;
  /** Exact or prefix match on the source id or the number (单据编号). */
  key?: string;
  /** Text inside the content or the error. */
  text?: string;
  limit: number;
  offset: number;
}

export interface CallSearch {
  schemes?: string[];
  outcome?: string[];
  from?: number;
  to?: number;
  text?: string;
  limit: number;
  offset: number;
}

export interface EventSearch {
  schemes?: string[];
  kinds?: string[];
  from?: number;
  to?: number;
  text?: string;
  limit: number;
  offset: number;
}

export interface CallLogRow {
  id: number;
  schemeId: string;
  at: number;
  api: string;
  url: string;
  status: number | null;
  durationMs: number;
  error: string | null;
  outcome: string;
  /** Records this call carried (up to 20). */
  recordIds: number[];
}

export interface EventLogRow {
  id: number;
  at: number;
  kind: string;
  message: string | null;
  recordId: number;
  schemeId: string;
  sourceId: string;
  status: number;
  statusName: string;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export class ConsoleQueries {
  constructor(private readonly db: Database.Database) {}

  searchRecords(schemeId: string, q: RecordSearch): { total: number; rows: RecordRow[] } {
    const parts = ['scheme_id = ?'];
    const args: unknown[] = [schemeId];
    if (q.status?.length) parts.push(`status IN (${q.status.map(() => '?').join(',')})`), args.push(...q.status);
    if (q.from !== undefined) parts.push('created_at >= ?'), args.push(q.from);
    if (q.to !== undefined) parts.push('created_at <= ?'), args.push(q.to);
    if (q.key) {
      parts.push("(source_id = ? OR number = ? OR source_id LIKE ? ESCAPE '\\' OR number LIKE ? ESCAPE '\\')");
      const prefix = `${escapeLike(q.key)}%`;
      args.push(q.key, q.key, prefix, prefix);
    }
    if (q.text) parts.push("(instr(content, ?) > 0 OR instr(coalesce(error, ''), ?) > 0)"), args.push(q.text, q.text);
    const where = parts.join(' AND ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM records WHERE ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT id, scheme_id, source_id, number, status, rev, attempts, error, due_at, created_at, updated_at
         FROM records WHERE ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset) as Array<Parameters<typeof toRow>[0]>;
    return {
      total,
      rows: rows.map(toRow),
    };
  }

  listCalls(q: CallSearch): { total: number; rows: CallLogRow[] } {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (q.schemes?.length) parts.push(`scheme_id IN (${q.schemes.map(() => '?').join(',')})`), args.push(...q.schemes);
    if (q.outcome?.length) parts.push(`outcome IN (${q.outcome.map(() => '?').join(',')})`), args.push(...q.outcome);
    if (q.from !== undefined) parts.push('at >= ?'), args.push(q.from);
    if (q.to !== undefined) parts.push('at <= ?'), args.push(q.to);
    if (q.text) parts.push("(instr(coalesce(error, ''), ?) > 0 OR instr(coalesce(response, ''), ?) > 0 OR instr(url, ?) > 0)"), args.push(q.text, q.text, q.text);
    const where = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM calls ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT id, scheme_id, at, api, url, status, duration_ms, error, outcome FROM calls ${where} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset) as Array<Record<string, unknown>>;
    const recs = this.db.prepare('SELECT record_id FROM record_events WHERE call_id = ? LIMIT 20');
    return {
      total,
      rows: rows.map((r) => ({
        id: r.id as number,
        schemeId: r.scheme_id as string,
        at: r.at as number,
        api: r.api as string,
        url: r.url as string,
        status: r.status as number | null,
        durationMs: r.duration_ms as number,
        error: r.error as string | null,
        outcome: r.outcome as string,
        recordIds: (recs.all(r.id) as Array<{ record_id: number }>).map((x) => x.record_id),
      })),
    };
  }

  getCall(id: number): (CallLogRow & { request: unknown; response: string | null }) | undefined {
    const r = this.db.prepare('SELECT * FROM calls WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    const recordIds = (this.db.prepare('SELECT record_id FROM record_events WHERE call_id = ? LIMIT 200').all(id) as Array<{ record_id: number }>).map((x) => x.record_id);
    return {
      id: r.id as number,
      schemeId: r.scheme_id as string,
      at: r.at as number,
      api: r.api as string,
      url: r.url as string,
      status: r.status as number | null,
      durationMs: r.duration_ms as number,
      error: r.error as string | null,
      outcome: r.outcome as string,
      recordIds,
      request: r.request == null ? null : JSON.parse(r.request as string),
      response: r.response as string | null,
    };
  }

  listEvents(q: EventSearch): { total: number; rows: EventLogRow[] } {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (q.kinds?.length) parts.push(`e.kind IN (${q.kinds.map(() => '?').join(',')})`), args.push(...q.kinds);
    if (q.schemes?.length) parts.push(`r.scheme_id IN (${q.schemes.map(() => '?').join(',')})`), args.push(...q.schemes);
    if (q.from !== undefined) parts.push('e.at >= ?'), args.push(q.from);
    if (q.to !== undefined) parts.push('e.at <= ?'), args.push(q.to);
    if (q.text) parts.push("(instr(coalesce(e.message, ''), ?) > 0 OR r.source_id = ?)"), args.push(q.text, q.text);
    const where = parts.length ? `WHERE ${parts.join(' AND ')}` : '';
    const from = 'FROM record_events e JOIN records r ON r.id = e.record_id';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n ${from} ${where}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT e.id, e.at, e.kind, e.message, e.record_id, r.scheme_id, r.source_id, r.status ${from} ${where} ORDER BY e.id DESC LIMIT ? OFFSET ?`,
      )
      .all(...args, q.limit, q.offset) as Array<Record<string, unknown>>;
    return {
      total,
      rows: rows.map((r) => ({
        id: r.id as number,
        at: r.at as number,
        kind: r.kind as string,
        message: r.message as string | null,
        recordId: r.record_id as number,
        schemeId: r.scheme_id as string,
        sourceId: r.source_id as string,
        status: r.status as number,
        statusName: statusName(r.status as number),
      })),
    };
  }

  /** Bring a record's pending retry forward: due now (run now / 立即重试). Records in flight are left alone. */
  runNow(schemeId: string, actor: string, now: number): number {
    return this.db.transaction(() => {
      const ids = this.db.prepare('SELECT id FROM records WHERE scheme_id = ? AND status = 0 AND due_at > ?').all(schemeId, now) as Array<{ id: number }>;
      const upd = this.db.prepare('UPDATE records SET due_at = ?, updated_at = ? WHERE id = ? AND status = 0');
      const ev = this.db.prepare("INSERT INTO record_events (record_id, at, kind, message, data) VALUES (?, ?, 'action', ?, ?)");
      for (const { id } of ids) {
        upd.run(now, now, id);
        ev.run(id, now, `retry brought forward by ${actor} (run now)`, JSON.stringify({ actor }));
      }
      return ids.length;
    })();
  }
}

const MINUTE = 60_000;
/** Rows folded per pass; a backlog is worked off over several passes so the event loop is never held for long. */
const CHUNK = 20_000;

/**
 * Folds new record events (intake / done / error / retry) and calls into per-minute counters per scheme.
 * Cursors (last event id, last call id) live in console_meta, so a restart continues where it stopped.
 */
export class StatsFolder {
  constructor(
    private readonly db: Database.Database,
    private readonly config: ConfigStore,
  ) {}

  /** One pass; returns true when more rows are waiting. */
  fold(): boolean {
    return this.db.transaction(() => {
      let more = false;
      const buckets = new Map<string, StatsBucket>();
      const bucket = (schemeId: string, at: number) => {
        const minute = Math.floor(at / MINUTE) * MINUTE;
        const k = `${schemeId}\u0000${minute}`;
        let b = buckets.get(k);
        if (!b) buckets.set(k, (b = { schemeId, minute, intake: 0, done: 0, error: 0, retry: 0, callsOk: 0, callsFailed: 0 }));
        return b;
      };
      let eventCursor = Number(this.config.getMeta('stats.events') ?? NaN);
      if (Number.isNaN(eventCursor)) {
        // First pass on an existing database: count from the recent past only.
        const max = (this.db.prepare('SELECT MAX(id) AS m FROM record_events').get() as { m: number | null }).m ?? 0;
        eventCursor = Math.max(0, max - 100_000);
      }
      const events = this.db
        .prepare(
          `SELECT e.id, e.at, e.kind, e.message, r.scheme_id FROM record_events e JOIN records r ON r.id = e.record_id
           WHERE e.id > ? AND e.kind IN ('intake', 'replace', 'done', 'error', 'retry') ORDER BY e.id LIMIT ?`,
        )
        .all(eventCursor, CHUNK) as Array<{ id: number; at: number; kind: string; message: string | null; scheme_id: string }>;
      for (const e of events) {
        const b = bucket(e.scheme_id, e.at);
        if (e.kind === 'intake') {
          if (!e.message) b.intake++; // duplicates carry a message and are not new work
        } else if (e.kind === 'replace') b.intake++;
        else if (e.kind === 'done') b.done++;
        else if (e.kind === 'error') b.error++;
        else b.retry++;
      }
      if (events.length === CHUNK) more = true;
      // The cursor moves past rows the kind filter skipped too, so they are not read again.
      const lastEvent = events.length === CHUNK
        ? events[events.length - 1]!.id
        : ((this.db.prepare('SELECT MAX(id) AS m FROM record_events').get() as { m: number | null }).m ?? eventCursor);
      this.config.setMeta('stats.events', String(Math.max(eventCursor, lastEvent)));

      let callCursor = Number(this.config.getMeta('stats.calls') ?? NaN);
      if (Number.isNaN(callCursor)) {
        const max = (this.db.prepare('SELECT MAX(id) AS m FROM calls').get() as { m: number | null }).m ?? 0;
        callCursor = Math.max(0, max - 100_000);
      }
      const calls = this.db
        .prepare('SELECT id, at, scheme_id, outcome FROM calls WHERE id > ? ORDER BY id LIMIT ?')
        .all(callCursor, CHUNK) as Array<{ id: number; at: number; scheme_id: string; outcome: string }>;
      for (const c of calls) {
        const b = bucket(c.scheme_id, c.at);
        if (c.outcome === 'ok') b.callsOk++;
        else b.callsFailed++;
      }
      if (calls.length === CHUNK) more = true;
      if (calls.length) this.config.setMeta('stats.calls', String(calls[calls.length - 1]!.id));
      else if (Number.isNaN(Number(this.config.getMeta('stats.calls') ?? NaN))) this.config.setMeta('stats.calls', String(callCursor));
      this.config.addStats([...buckets.values()]);
      return more;
    })();
  }
}
