/**
 * Fault injection, per API (key = API name, `*` = every API; an API's entry overrides `*` key by key).
 * Set at start (`faults` option) and at run time (`GET/PUT/DELETE /_sim/faults`).
 */
export interface ApiFaults {
  /** Added delay before answering, ms (+ random 0..jitterMs). */
  latencyMs?: number;
  jitterMs?: number;
  /** Share of calls (0..1) answered with a business error `{code: errorCode, message: errorMessage}`. */
  errorRate?: number;
  errorCode?: number;
  errorMessage?: string;
  /** Share of calls answered HTTP 500 / 502 with an HTML body. */
  http500Rate?: number;
  http502Rate?: number;
  /** Share of calls never answered (the client times out). */
  hangRate?: number;
  /** Share of calls answered 200 with a truncated, unparsable JSON body. */
  garbageRate?: number;
  /** Serve JSON as `text/html` (real WDT's Content-Type is unreliable). */
  wrongContentType?: boolean;
  /** More calls than this within one second (per sid and API) are answered with the rate-limit error. */
  qps?: number;
  /** trade_push / sales_refund_push: these tids fail (strict mode: the whole call fails naming the tid). */
  rejectTids?: string[];
  /** `before` (default): 500/502/hang/garbage happen before the request is processed, so nothing changes.
   *  `after`: the request is processed (state changes), then the answer is lost — the nasty real-world case. */
  phase?: 'before' | 'after';
  /** Only the next N faults (errors, 5xx, hangs, garbage) fire, then this entry stops injecting them. */
  times?: number;
}

export type FaultConfig = Record<string, ApiFaults>;

const NUM_KEYS = ['latencyMs', 'jitterMs', 'errorRate', 'errorCode', 'http500Rate', 'http502Rate', 'hangRate', 'garbageRate', 'qps', 'times'] as const;
const RATE_KEYS = new Set(['errorRate', 'http500Rate', 'http502Rate', 'hangRate', 'garbageRate']);

/** Check a fault config; returns problems as `path: message`. */
export function validateFaults(cfg: unknown): string[] {
  const out: string[] = [];
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) return ['faults: must be an object keyed by API name or *'];
  for (const [api, f] of Object.entries(cfg as Record<string, unknown>)) {
    if (!f || typeof f !== 'object' || Array.isArray(f)) {
      out.push(`${api}: must be an object`);
      continue;
    }
    const o = f as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if ((NUM_KEYS as readonly string[]).includes(k)) {
        const n = o[k];
        if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) out.push(`${api}.${k}: must be a number >= 0`);
        else if (RATE_KEYS.has(k) && n > 1) out.push(`${api}.${k}: a rate is between 0 and 1`);
      } else if (k === 'errorMessage') {
        if (typeof o[k] !== 'string') out.push(`${api}.${k}: must be a string`);
      } else if (k === 'wrongContentType') {
        if (typeof o[k] !== 'boolean') out.push(`${api}.${k}: must be true or false`);
      } else if (k === 'rejectTids') {
        if (!Array.isArray(o[k]) || (o[k] as unknown[]).some((t) => typeof t !== 'string' && typeof t !== 'number')) {
          out.push(`${api}.${k}: must be a list of tids`);
        }
      } else if (k === 'phase') {
        if (o[k] !== 'before' && o[k] !== 'after') out.push(`${api}.${k}: before or after`);
      } else out.push(`${api}.${k}: unknown fault`);
    }
  }
  return out;
}

export type FaultAction = 'http500' | 'http502' | 'hang' | 'garbage' | 'error';

export class Faults {
  private cfg: FaultConfig = {};
  /** Remaining `times` per API key, consumed as faults fire. */
  private remaining = new Map<string, number>();
  private windows = new Map<string, { second: number; count: number }>();
  private rejectSets = new Map<string, Set<string>>();

  constructor(initial?: FaultConfig) {
    if (initial) this.set(initial);
  }

  get(): FaultConfig {
    const out: FaultConfig = {};
    for (const [k, v] of Object.entries(this.cfg)) {
      out[k] = { ...v };
      if (this.remaining.has(k)) out[k].times = this.remaining.get(k);
    }
    return out;
  }

  set(cfg: FaultConfig): void {
    const problems = validateFaults(cfg);
    if (problems.length) throw new Error(problems.join('; '));
    this.cfg = structuredClone(cfg);
    this.remaining.clear();
    this.rejectSets.clear();
    for (const [k, v] of Object.entries(this.cfg)) {
      if (v.times !== undefined) this.remaining.set(k, v.times);
      if (v.rejectTids) this.rejectSets.set(k, new Set(v.rejectTids.map(String)));
    }
  }

  /** Effective faults for an API: `*` overlaid with the API's own entry. */
  for(api: string): ApiFaults | undefined {
    const all = this.cfg['*'];
    const own = this.cfg[api];
    if (!all && !own) return undefined;
    return { ...all, ...own };
  }

  rejected(api: string): Set<string> | undefined {
    return this.rejectSets.get(api) ?? this.rejectSets.get('*');
  }

  /** True when this call exceeds the API's QPS limit. */
  overQps(api: string, sid: string, qps: number, now: number): boolean {
    const key = `${sid}\u0000${api}`;
    const second = Math.floor(now / 1000);
    let w = this.windows.get(key);
    if (!w || w.second !== second) this.windows.set(key, (w = { second, count: 0 }));
    w.count++;
    return w.count > qps;
  }

  /** Roll the dice for one call: which fault (if any) fires. Consumes `times`. */
  pick(api: string, f: ApiFaults): FaultAction | undefined {
    const owner = this.cfg[api] && this.remaining.has(api) ? api : this.remaining.has('*') ? '*' : undefined;
    if (owner !== undefined && (this.remaining.get(owner) ?? 0) <= 0) return undefined;
    let action: FaultAction | undefined;
    if (f.hangRate && Math.random() < f.hangRate) action = 'hang';
    else if (f.http500Rate && Math.random() < f.http500Rate) action = 'http500';
    else if (f.http502Rate && Math.random() < f.http502Rate) action = 'http502';
    else if (f.garbageRate && Math.random() < f.garbageRate) action = 'garbage';
    else if (f.errorRate && Math.random() < f.errorRate) action = 'error';
    if (action && owner !== undefined) this.remaining.set(owner, (this.remaining.get(owner) ?? 0) - 1);
    return action;
  }
}
