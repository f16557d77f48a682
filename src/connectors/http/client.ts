/**
 * HttpClient: the generic HTTP/JSON connector's client, on a keep-alive undici Pool. An API is named
 * `[METHOD] /path` relative to the connector's base URL (`POST /orders/batch`, `GET /orders`, `/orders`);
 * without a method, writes POST and queries GET.
 *
 * Answers become engine decisions like every connector's:
 * - transport error, timeout, HTTP 5xx / 408 / 429, unparsable body when a check needs one → TransientError
 *   (429 and `rate_limit_check` → rateLimited: the connector backs off as a whole)
 * - `transient_check` true                                                         → TransientError
 * - HTTP 400 / 409 / 422, or `success` check false      → write: WriteOutcome {ok: false} (the dispatcher bisects);
 *                                                          query: PermanentError
 * - any other HTTP 4xx (401, 403, 404 …: configuration)                           → PermanentError
 * Secrets (tokens, passwords, signatures) never appear in traces.
 */
import { Pool } from 'undici';
import { PermanentError, TransientError, ValidationError } from '../../errors.ts';
import type { CallTrace, PlatformClient, QueryOutcome, WriteOutcome } from '../types.ts';
import { authHeaders, secretHeaders, type AuthConfig } from './auth.ts';
import { compileCheck, getPath, type Check } from './check.ts';

export interface HttpClientOptions {
  name?: string;
  baseUrl: string;
  auth: AuthConfig;
  /** json (default) or form (application/x-www-form-urlencoded; nested values as JSON text). */
  body?: 'json' | 'form';
  /** Extra headers on every call. */
  headers?: Record<string, string>;
  /** `$.code == 0` style: the answer is a success only when true. Absent: any 2xx is a success. */
  success?: string;
  transientCheck?: string;
  rateLimitCheck?: string;
  /** Where the error text is in an answer (default `$.message`, then `$.msg`, `$.error`). */
  messagePath?: string;
  /** Writes: the body key carrying the items (default `items`; '' = the body is the items list). */
  itemsKey?: string;
  /** Writes: at most this many items per call (default 100); 1 = one document per call, merged with the call params. */
  batchMax?: number;
  /** Queries: where the rows are (default: the answer if it is a list, else `data`, `rows`, `list`, `items`, the first list, or a single `data` object). */
  listPath?: string;
  /** Queries: where the total count is (default `total`, `total_count`, `count`, `data.total`). */
  totalPath?: string;
  timeoutMs?: number;
  connections?: number;
  now?: () => number;
}

export const DEFAULT_BATCH_MAX = 100;
const MAX_TRACE_BODY = 100_000;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const METHODS = new Set(['GET', ...WRITE_METHODS]);

/** `POST /orders` → {method, path}; undefined when malformed. */
export function parseApiName(name: string, use: 'source' | 'target'): { method: string; path: string } | undefined {
  const m = /^\s*(?:([A-Za-z]+)\s+)?(\S*)\s*$/.exec(name);
  if (!m) return undefined;
  let method = m[1]?.toUpperCase();
  let path = m[2] ?? '';
  if (!method && METHODS.has(path.toUpperCase())) {
    method = path.toUpperCase();
    path = '';
  }
  method ??= use === 'target' ? 'POST' : 'GET';
  if (!METHODS.has(method)) return undefined;
  if (use === 'target' && method === 'GET') return undefined;
  if (path && !path.startsWith('/')) path = `/${path}`;
  if (/[\s#]/.test(path)) return undefined;
  return { method, path };
}

/** Form encoding: scalars as text, objects and lists as one JSON string (as most Chinese form APIs expect). */
export function formEncode(params: Record<string, unknown>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    u.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return u.toString();
}

const LIST_KEYS = ['data', 'rows', 'list', 'items', 'records', 'result'];
const TOTAL_PATHS = ['$.total', '$.total_count', '$.totalCount', '$.count', '$.data.total', '$.page.total'];

export class HttpClient implements PlatformClient {
  private readonly pool: Pool;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly success?: Check;
  private readonly transient?: Check;
  private readonly rateLimit?: Check;
  private readonly secretHeaderNames: Set<string>;
  private readonly secrets: string[];
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly o: HttpClientOptions) {
    if (!o.baseUrl) throw new ValidationError([{ path: 'params.base_url', message: 'required' }]);
    const u = new URL(o.baseUrl);
    this.origin = u.origin;
    this.basePath = u.pathname.replace(/\/+$/, '');
    this.success = o.success ? compileCheck(o.success) : undefined;
    this.transient = o.transientCheck ? compileCheck(o.transientCheck) : undefined;
    this.rateLimit = o.rateLimitCheck ? compileCheck(o.rateLimitCheck) : undefined;
    this.secretHeaderNames = new Set(secretHeaders(o.auth));
    this.secrets = [o.auth.token, o.auth.password, o.auth.headerValue, o.auth.hmacSecret].filter((s): s is string => !!s && s.length >= 3);
    this.now = o.now ?? Date.now;
    const timeout = o.timeoutMs ?? 30_000;
    this.pool = new Pool(this.origin, { connections: o.connections ?? 32, keepAliveTimeout: 30_000, headersTimeout: timeout, bodyTimeout: timeout });
  }

  private scrub(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('***');
    return out;
  }

  private messageOf(body: unknown, fallback: string): string {
    const paths = this.o.messagePath ? [this.o.messagePath] : ['$.message', '$.msg', '$.error', '$.errmsg'];
    for (const p of paths) {
      const v = getPath(body, p);
      if (v !== undefined && v !== null && v !== '') return this.scrub(typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    return fallback;
  }

  /**
   * One call. Returns the parsed answer of a 2xx (or 400/409/422, flagged `rejected`); throws TransientError or
   * PermanentError otherwise.
   */
  async call(api: string, use: 'source' | 'target', params: unknown): Promise<{ body: unknown; status: number; trace: CallTrace; rejected: boolean }> {
    if (this.closed) throw new TransientError(`HTTP client ${this.o.name ?? ''} is closed`);
    const parsed = parseApiName(api, use);
    if (!parsed) throw new PermanentError(`HTTP API name "${api}" is not "[METHOD] /path"`);
    const { method } = parsed;
    let path = `${this.basePath}${parsed.path}` || '/';
    let body: string | undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...lower(this.o.headers ?? {}) };
    let payload = '';
    if (method === 'GET') {
      const qs = formEncode((params ?? {}) as Record<string, unknown>);
      if (qs) path += (path.includes('?') ? '&' : '?') + qs;
      payload = qs;
    } else {
      if (this.o.body === 'form' && !Array.isArray(params)) {
        body = formEncode((params ?? {}) as Record<string, unknown>);
        headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
      } else {
        body = JSON.stringify(params ?? {});
        headers['content-type'] = 'application/json; charset=utf-8';
      }
      payload = body;
    }
    Object.assign(headers, authHeaders(this.o.auth, payload, this.now()));
    const shownHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) shownHeaders[k] = this.secretHeaderNames.has(k) ? '***' : v;
    const url = `${this.origin}${path}`;
    const trace: CallTrace = {
      api,
      url: this.scrub(url),
      method,
      request: { headers: shownHeaders, body: params ?? null },
      durationMs: 0,
    };
    const started = performance.now();
    const timeout = this.o.timeoutMs ?? 30_000;
    let status: number;
    let text: string;
    try {
      const res = await this.pool.request({ path, method: method as 'GET', headers, body, signal: AbortSignal.timeout(timeout) });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      trace.durationMs = Math.round(performance.now() - started);
      const e = err as Error & { code?: string };
      const msg = this.scrub(e.name === 'TimeoutError' || e.code?.includes('TIMEOUT') ? `timeout after ${timeout} ms` : `${e.code ?? e.name}: ${e.message}`);
      trace.error = msg;
      throw new TransientError(`HTTP ${api}: ${msg}`, { cause: err, trace });
    }
    trace.durationMs = Math.round(performance.now() - started);
    trace.status = status;
    const safe = this.scrub(text);
    trace.response = safe.length > MAX_TRACE_BODY ? `${safe.slice(0, MAX_TRACE_BODY)}…(${safe.length} chars)` : safe;
    let parsedBody: unknown = safe;
    let parseFailed = false;
    if (safe.trim()) {
      try {
        parsedBody = JSON.parse(safe);
      } catch {
        parseFailed = true;
      }
    } else parsedBody = null;
    if (status >= 500 || status === 429 || status === 408) {
      trace.error = `HTTP ${status}`;
      throw new TransientError(`HTTP ${api}: HTTP ${status}`, { trace, rateLimited: status === 429 });
    }
    const rejected = status === 400 || status === 409 || status === 422;
    if (status >= 400 && !rejected) {
      const m = this.messageOf(parsedBody, '');
      trace.error = `HTTP ${status}${m ? ` ${m}` : ''}`;
      throw new PermanentError(`HTTP ${api}: HTTP ${status}${m ? ` ${m}` : ''}`, { code: status, trace });
    }
    if (parseFailed && (this.success || this.transient || this.rateLimit || use === 'source')) {
      trace.error = 'unparsable response body';
      throw new TransientError(`HTTP ${api}: unparsable response (HTTP ${status}, ${text.length} bytes)`, { trace });
    }
    if (!rejected) {
      if (this.rateLimit?.(parsedBody)) {
        trace.error = `rate limited: ${this.messageOf(parsedBody, this.o.rateLimitCheck!)}`;
        throw new TransientError(`HTTP ${api}: ${trace.error}`, { trace, rateLimited: true });
      }
      if (this.transient?.(parsedBody)) {
        trace.error = `transient: ${this.messageOf(parsedBody, this.o.transientCheck!)}`;
        throw new TransientError(`HTTP ${api}: ${trace.error}`, { trace });
      }
    }
    return { body: parsedBody, status, trace, rejected: rejected || (this.success ? !this.success(parsedBody) : false) };
  }

  async write(api: string, callParams: Record<string, unknown>, items: unknown[]): Promise<WriteOutcome> {
    const max = this.o.batchMax ?? DEFAULT_BATCH_MAX;
    const key = this.o.itemsKey ?? 'items';
    if (items.length === 0) throw new ValidationError([{ path: key || '(body)', message: 'no items to send' }]);
    if (items.length > max) throw new ValidationError([{ path: key || '(body)', message: `at most ${max} items per call, got ${items.length}` }]);
    let params: unknown;
    if (max === 1) params = { ...callParams, ...(items[0] as Record<string, unknown>) };
    else if (key === '') params = items;
    else params = { ...callParams, [key]: items };
    const { body, status, trace, rejected } = await this.call(api, 'target', params);
    if (rejected) {
      const message = this.messageOf(body, status >= 400 ? `HTTP ${status}` : `response check failed: ${this.o.success}`);
      const code = (getPath(body, '$.code') as string | number | undefined) ?? status;
      trace.error = `${code} ${message}`;
      return { ok: false, code, message, response: body, trace };
    }
    return { ok: true, response: body, trace };
  }

  async query(api: string, params: Record<string, unknown>): Promise<QueryOutcome> {
    const { body, status, trace, rejected } = await this.call(api, 'source', params);
    if (rejected) {
      const message = this.messageOf(body, status >= 400 ? `HTTP ${status}` : `response check failed: ${this.o.success}`);
      trace.error = message;
      throw new PermanentError(`HTTP ${api}: ${message}`, { code: (getPath(body, '$.code') as string | number | undefined) ?? status, trace });
    }
    const rows = this.rowsOf(body);
    const total = this.totalOf(body);
    return total === undefined ? { rows, response: body, trace } : { rows, total, response: body, trace };
  }

  private rowsOf(body: unknown): unknown[] {
    if (this.o.listPath) {
      const v = getPath(body, this.o.listPath);
      return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
    }
    if (Array.isArray(body)) return body;
    if (!body || typeof body !== 'object') return [];
    const o = body as Record<string, unknown>;
    for (const k of LIST_KEYS) {
      if (Array.isArray(o[k])) return o[k] as unknown[];
      const inner = o[k];
      if (inner && typeof inner === 'object' && !Array.isArray(inner))
        for (const k2 of LIST_KEYS) if (Array.isArray((inner as Record<string, unknown>)[k2])) return (inner as Record<string, unknown>)[k2] as unknown[];
    }
    const first = Object.values(o).find(Array.isArray);
    if (first) return first as unknown[];
    // A single object (a detail endpoint: {code: 0, data: {…}}) is one row.
    const one = o.data ?? o.result;
    return one && typeof one === 'object' ? [one] : [];
  }

  private totalOf(body: unknown): number | undefined {
    for (const p of this.o.totalPath ? [this.o.totalPath] : TOTAL_PATHS) {
      const v = getPath(body, p);
      if (v !== undefined && v !== null && v !== '' && Number.isFinite(Number(v))) return Number(v);
    }
    return undefined;
  }

  /** A GET of the base URL: proves the host answers and the credentials are accepted (any non-401/403 answer). */
  async test(): Promise<{ ok: boolean; message: string; trace?: CallTrace }> {
    try {
      const { status, trace } = await this.call('GET', 'source', {});
      return { ok: true, message: `连接成功 (HTTP ${status})`, trace };
    } catch (err) {
      const e = err as Error & { trace?: CallTrace; code?: unknown };
      if (e instanceof PermanentError && e.code !== 401 && e.code !== 403)
        return { ok: true, message: `服务器可达 (${this.scrub(e.message)})`, trace: e.trace };
      return { ok: false, message: this.scrub(e.message), trace: e.trace };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}

function lower(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}
