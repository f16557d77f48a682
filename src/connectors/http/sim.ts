/**
 * A small simulator of a generic HTTP/JSON system, for tests, demos and the polling benchmark: it checks the
 * connector's auth exactly (bearer, basic, API-key header, HMAC-signed body), takes writes on any path and keeps
 * what it received, serves seeded collections for polling in every paging style, and injects faults.
 *
 * Routes (relative to where it is mounted: `/sandbox/http` in `qiao serve`, `/` standalone):
 *   POST|PUT|PATCH|DELETE /<any path>   write: JSON or form body; `items` (or a top-level list) are the items.
 *                                       → 200 {code: 0, message: "ok", received: n}
 *   GET  …/data/<collection>            list, filtered by `updated_from`/`updated_to` (on `updated_at`) and `id`, sorted by
 *                                       (updated_at, id); paged by `page`+`page_size` (first page 1, or `page_base`),
 *                                       `offset`/`start_row`+`limit`, or `cursor`+`limit`
 *                                       → {code: 0, data: [...], total, next_cursor}
 *   GET  …/data/<collection>/<id>       one row → {code: 0, data: row}
 *   GET  /_sim/received?path=&limit=    what writes delivered: {total, unique, items: [{path, item, at}]}
 *   GET  /_sim/stats                    calls, writes, items, auth failures, faults fired
 *   PUT  /_sim/collections/<name>       {rows: [...]} replaces a collection; POST …/rows upserts rows by id
 *   PUT|DELETE /_sim/faults             {latencyMs, errorRate, errorCode, http500Rate, http429Rate, rejectIds, times}
 *   POST /_sim/reset                    drop received items, collections, stats and faults
 * `/_sim/*` needs no auth (like the WDT sandbox's inspection endpoints).
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { verifyAuth, type AuthConfig } from './auth.ts';

export interface HttpSimFaults {
  /** Delay before answering, ms (+ random 0..jitterMs). */
  latencyMs?: number;
  jitterMs?: number;
  /** Share of writes answered 200 {code: errorCode (default 500100), message}. */
  errorRate?: number;
  errorCode?: number;
  errorMessage?: string;
  /** Share of calls answered HTTP 500 / 429. */
  http500Rate?: number;
  http429Rate?: number;
  /** A write containing an item whose `idField` value is listed is refused with HTTP 422 naming it. */
  rejectIds?: string[];
  /** Only the next N faults fire. */
  times?: number;
}

export interface HttpSimOptions {
  /** The auth the simulated system demands; `demo` accepts the documented demo credentials of every mode. */
  auth?: AuthConfig | 'demo';
  /** Field naming an item (for `unique` counts, `rejectIds`, collection ids). Default: the first of `id`, `bill_no`, `order_no`, `tid`, `number`, `code` an item has. */
  idField?: string;
  faults?: HttpSimFaults;
  /** Business clock for rows added without `updated_at`. */
  now?: () => number;
  /** Keep at most this many received items in memory (oldest dropped; counts stay exact). Default 1,000,000. */
  keepItems?: number;
}

/** Credentials the mounted sandbox (`auth: 'demo'`) accepts, whatever the connector's auth mode. */
export const HTTP_DEMO_AUTH = Object.freeze({
  token: 'qiao-http-demo-token',
  username: 'qiao',
  password: 'qiao-http-demo-password',
  headerName: 'X-Api-Key',
  headerValue: 'qiao-http-demo-key',
  hmacSecret: 'qiao-http-demo-secret',
});

const DEMO_CONFIGS: AuthConfig[] = [
  { mode: 'bearer', token: HTTP_DEMO_AUTH.token },
  { mode: 'basic', username: HTTP_DEMO_AUTH.username, password: HTTP_DEMO_AUTH.password },
  { mode: 'header', headerName: HTTP_DEMO_AUTH.headerName, headerValue: HTTP_DEMO_AUTH.headerValue },
  { mode: 'hmac', hmacSecret: HTTP_DEMO_AUTH.hmacSecret },
];

export interface SimAnswer {
  status: number;
  body: unknown;
}

interface Received {
  path: string;
  item: unknown;
  at: number;
}

type Row = Record<string, unknown>;

const ID_FIELDS = ['id', 'bill_no', 'order_no', 'tid', 'number', 'code'];

export class HttpSim {
  private received: Received[] = [];
  private receivedTotal = 0;
  private uniqueIds = new Set<string>();
  private collections = new Map<string, Map<string, Row>>();
  private faultsLeft?: number;
  faults: HttpSimFaults;
  readonly stats = { calls: 0, writes: 0, items: 0, queries: 0, authFailures: 0, faults: {} as Record<string, number> };

  constructor(readonly options: HttpSimOptions = {}) {
    this.faults = options.faults ?? {};
    this.faultsLeft = this.faults.times;
  }

  get idField(): string {
    return this.options.idField ?? 'id';
  }

  /** The id of a received item, by `idField` or the usual id names. */
  idOf(item: unknown): string | undefined {
    if (!item || typeof item !== 'object') return undefined;
    const o = item as Row;
    for (const k of this.options.idField ? [this.options.idField] : ID_FIELDS) if (o[k] !== undefined && o[k] !== null) return String(o[k]);
    return undefined;
  }

  now(): number {
    return (this.options.now ?? Date.now)();
  }

  setFaults(f: HttpSimFaults): void {
    this.faults = f;
    this.faultsLeft = f.times;
  }

  reset(): void {
    this.received = [];
    this.receivedTotal = 0;
    this.uniqueIds = new Set();
    this.collections = new Map();
    this.setFaults({});
    this.stats.calls = this.stats.writes = this.stats.items = this.stats.queries = this.stats.authFailures = 0;
    this.stats.faults = {};
  }

  /** Items received so far (optionally for one path). */
  items(path?: string): Received[] {
    return path ? this.received.filter((r) => r.path === path) : this.received;
  }

  get total(): number {
    return this.receivedTotal;
  }

  get unique(): number {
    return this.uniqueIds.size;
  }

  /** Replace a collection's rows. */
  setCollection(name: string, rows: Row[]): void {
    const m = new Map<string, Row>();
    this.collections.set(name, m);
    this.upsertRows(name, rows);
  }

  /** Add or change rows (by id); a row without `updated_at` gets the business clock. */
  upsertRows(name: string, rows: Row[]): void {
    let m = this.collections.get(name);
    if (!m) this.collections.set(name, (m = new Map()));
    for (const r of rows) {
      const id = String(r[this.idField]);
      m.set(id, { ...r, updated_at: r.updated_at ?? fmt(this.now()) });
    }
  }

  deleteRows(name: string, ids: string[]): void {
    const m = this.collections.get(name);
    for (const id of ids) m?.delete(String(id));
  }

  private authFails(headers: Record<string, string | string[] | undefined>, payload: string): string | undefined {
    const auth = this.options.auth ?? 'demo';
    if (auth !== 'demo') return verifyAuth(auth, headers, payload, Date.now());
    const reasons = DEMO_CONFIGS.map((c) => verifyAuth(c, headers, payload, Date.now()));
    return reasons.some((r) => r === undefined) ? undefined : 'missing or invalid credentials (bearer, basic, X-Api-Key or HMAC)';
  }

  private pickFault(kind: 'write' | 'query'): 'http500' | 'http429' | 'error' | undefined {
    const f = this.faults;
    if (this.faultsLeft !== undefined && this.faultsLeft <= 0) return undefined;
    let fired: 'http500' | 'http429' | 'error' | undefined;
    if (f.http500Rate && Math.random() < f.http500Rate) fired = 'http500';
    else if (f.http429Rate && Math.random() < f.http429Rate) fired = 'http429';
    else if (kind === 'write' && f.errorRate && Math.random() < f.errorRate) fired = 'error';
    if (fired) {
      if (this.faultsLeft !== undefined) this.faultsLeft--;
      this.stats.faults[fired] = (this.stats.faults[fired] ?? 0) + 1;
    }
    return fired;
  }

  /** One request to the simulated system (not `/_sim`). `payload` is the raw body (or query string for GET). */
  async handle(method: string, path: string, headers: Record<string, string | string[] | undefined>, payload: string, query: Record<string, string>): Promise<SimAnswer> {
    this.stats.calls++;
    const delay = (this.faults.latencyMs ?? 0) + (this.faults.jitterMs ? Math.random() * this.faults.jitterMs : 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const why = this.authFails(headers, payload);
    if (why) {
      this.stats.authFailures++;
      return { status: 401, body: { code: 401, message: `unauthorized: ${why}` } };
    }
    const isQuery = method === 'GET';
    const fault = this.pickFault(isQuery ? 'query' : 'write');
    if (fault === 'http500') return { status: 500, body: '<html><body><h1>500 Internal Server Error</h1></body></html>' };
    if (fault === 'http429') return { status: 429, body: { code: 429, message: 'too many requests' } };
    if (isQuery) return this.query(path, query);
    if (fault === 'error') return { status: 200, body: { code: this.faults.errorCode ?? 500100, message: this.faults.errorMessage ?? 'simulated business error' } };
    return this.write(path, headers, payload);
  }

  private write(path: string, headers: Record<string, string | string[] | undefined>, payload: string): SimAnswer {
    const ct = String(headers['content-type'] ?? '');
    let body: unknown;
    try {
      if (ct.includes('application/x-www-form-urlencoded')) {
        const o: Record<string, unknown> = {};
        for (const [k, v] of new URLSearchParams(payload)) {
          const t = v.trim();
          o[k] = (t.startsWith('[') || t.startsWith('{')) ? safeJson(t) ?? v : v;
        }
        body = o;
      } else body = payload ? JSON.parse(payload) : {};
    } catch {
      return { status: 400, body: { code: 400, message: 'body is not valid JSON' } };
    }
    let items: unknown[];
    if (Array.isArray(body)) items = body;
    else if (body && typeof body === 'object' && Array.isArray((body as Row).items)) items = (body as Row).items as unknown[];
    else items = [body];
    const reject = this.faults.rejectIds;
    if (reject?.length) {
      const bad = items.find((it) => reject.includes(this.idOf(it) ?? '\u0000'));
      if (bad) {
        this.stats.faults.reject = (this.stats.faults.reject ?? 0) + 1;
        return { status: 422, body: { code: 422, message: `item ${this.idOf(bad)} rejected (simulated)` } };
      }
    }
    this.stats.writes++;
    this.stats.items += items.length;
    const at = Date.now();
    const keep = this.options.keepItems ?? 1_000_000;
    for (const item of items) {
      this.receivedTotal++;
      const id = this.idOf(item);
      if (id !== undefined) this.uniqueIds.add(id);
      this.received.push({ path, item, at });
    }
    if (this.received.length > keep) this.received.splice(0, this.received.length - keep);
    return { status: 200, body: { code: 0, message: 'ok', received: items.length } };
  }

  private query(path: string, q: Record<string, string>): SimAnswer {
    this.stats.queries++;
    const m = /(?:^|\/)data\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!m) return { status: 404, body: { code: 404, message: `no collection at ${path}` } };
    const rows = this.collections.get(decodeURIComponent(m[1]));
    if (!rows) return { status: 404, body: { code: 404, message: `no collection ${m[1]}` } };
    if (m[2]) {
      const row = rows.get(decodeURIComponent(m[2]));
      return row ? { status: 200, body: { code: 0, data: row } } : { status: 404, body: { code: 404, message: `no row ${m[2]}` } };
    }
    const from = q.updated_from ? Date.parse(q.updated_from.replace(' ', 'T') + '+08:00') : undefined;
    const to = q.updated_to ? Date.parse(q.updated_to.replace(' ', 'T') + '+08:00') : undefined;
    const list = [...rows.values()].filter((r) => {
      if (q.id !== undefined && String(r[this.idField]) !== q.id) return false;
      const t = Date.parse(String(r.updated_at).replace(' ', 'T') + '+08:00');
      return (from === undefined || t >= from) && (to === undefined || t <= to);
    });
    list.sort((a, b) => String(a.updated_at).localeCompare(String(b.updated_at)) || String(a[this.idField]).localeCompare(String(b[this.idField]), 'en', { numeric: true }));
    const limit = Number(q.limit ?? q.page_size ?? q.pageSize ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return { status: 400, body: { code: 400, message: 'limit/page_size must be 1..1000' } };
    let start = 0;
    if (q.cursor !== undefined && q.cursor !== '') {
      // The cursor is the sort key of the last row served: stable under inserts and deletes.
      const [ts, id] = Buffer.from(q.cursor, 'base64url').toString().split('\n');
      start = list.findIndex((r) => String(r.updated_at) > ts || (String(r.updated_at) === ts && String(r[this.idField]).localeCompare(id, 'en', { numeric: true }) > 0));
      if (start < 0) start = list.length;
    } else if (q.offset !== undefined || q.start_row !== undefined) start = Number(q.offset ?? q.start_row);
    else if (q.page !== undefined) start = (Number(q.page) - Number(q.page_base ?? 1)) * limit;
    if (!Number.isInteger(start) || start < 0) return { status: 400, body: { code: 400, message: 'bad page/offset' } };
    const data = list.slice(start, start + limit);
    const last = data[data.length - 1];
    const next = last && start + limit < list.length ? Buffer.from(`${String(last.updated_at)}\n${String(last[this.idField])}`).toString('base64url') : '';
    return { status: 200, body: { code: 0, message: 'ok', total: list.length, data, next_cursor: next } };
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Beijing wall clock `yyyy-MM-dd HH:mm:ss`. */
export function fmt(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Mount the simulator on a Fastify scope (prefix chosen by the caller). */
export async function httpSandboxPlugin(app: FastifyInstance, opts: { sim: HttpSim }): Promise<void> {
  const sim = opts.sim;
  // Raw bodies: the HMAC is over the exact bytes sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  const json = (req: FastifyRequest): Record<string, unknown> => {
    const b = req.body;
    if (typeof b !== 'string' || !b.trim()) return {};
    try {
      return JSON.parse(b) as Record<string, unknown>;
    } catch {
      return {};
    }
  };

  app.get('/_sim/received', async (req) => {
    const q = req.query as Record<string, string>;
    const items = sim.items(q.path);
    const limit = q.limit === undefined ? 1000 : Number(q.limit);
    return { total: sim.total, unique: sim.unique, items: items.slice(-limit) };
  });
  app.get('/_sim/stats', async () => ({ ...sim.stats, total: sim.total, unique: sim.unique }));
  app.post('/_sim/reset', async () => {
    sim.reset();
    return { ok: true };
  });
  app.get('/_sim/faults', async () => sim.faults);
  app.put('/_sim/faults', async (req) => {
    sim.setFaults(json(req) as HttpSimFaults);
    return sim.faults;
  });
  app.delete('/_sim/faults', async () => {
    sim.setFaults({});
    return {};
  });
  app.put('/_sim/collections/:name', async (req) => {
    const { name } = req.params as { name: string };
    const rows = (json(req).rows ?? []) as Row[];
    sim.setCollection(name, rows);
    return { name, rows: rows.length };
  });
  app.post('/_sim/collections/:name/rows', async (req) => {
    const { name } = req.params as { name: string };
    const b = json(req);
    sim.upsertRows(name, (b.rows ?? []) as Row[]);
    if (Array.isArray(b.delete)) sim.deleteRows(name, b.delete as string[]);
    return { ok: true };
  });

  app.all('/*', async (req, reply) => {
    const url = req.url;
    const prefix = app.prefix ?? '';
    const full = url.split('?')[0];
    const path = full.startsWith(prefix) ? full.slice(prefix.length) || '/' : full;
    const qs = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const payload = req.method === 'GET' ? qs : typeof req.body === 'string' ? req.body : '';
    const a = await sim.handle(req.method, decodeURI(path), req.headers, payload, req.query as Record<string, string>);
    reply.code(a.status);
    if (typeof a.body === 'string') return reply.type('text/html; charset=utf-8').send(a.body);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(a.body));
  });
}

export interface HttpSandboxHandle {
  /** Base URL without a trailing slash: the connector's base_url. */
  url: string;
  port: number;
  state: HttpSim;
  close(): Promise<void>;
}

/** The simulator as its own HTTP server (tests, benchmark). */
export async function startHttpSandbox(opts: HttpSimOptions & { host?: string; port?: number } = {}): Promise<HttpSandboxHandle> {
  const sim = new HttpSim(opts);
  const app = Fastify({ logger: false, forceCloseConnections: true, keepAliveTimeout: 65_000 });
  await app.register(async (scope) => httpSandboxPlugin(scope, { sim }));
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ host, port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  return { url: `http://${host}:${port}`, port, state: sim, close: () => app.close() };
}
