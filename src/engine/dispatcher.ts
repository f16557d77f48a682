/**
 * The dispatcher: claim due records (with a lease) → map → group by call-level params → call the target
 * → settle each record. One loop per enabled scheme; calls go through the connector's shared limiter.
 *
 * - Transient failures (network, timeout, 5xx, rate limit) retry on the scheme's ladder, then become errors.
 * - A batch rejected with a business error is split in halves until the bad record is isolated, so the good
 *   ones are delivered in the same cycle and one poison order never blocks its batch.
 * - Mapping failures mark only that record as error, naming the field and the reason.
 */
import { MappingError, TransientError, ValidationError } from '../errors.ts';
import { groupCalculateDetailed, type MapContext, type MappedRecord } from '../mapping/index.ts';
import { stableKey } from '../mapping/preview.ts';
import type { CallTrace, WriteOutcome } from '../connectors/types.ts';
import { RecordStatus, type CallRow, type ClaimedRecord, type RecordEvent, type Settlement, type Store } from '../store/types.ts';
import { CircuitOpenError } from './limiter.ts';
import type { EngineEvents } from './events.ts';
import type { Metrics } from './metrics.ts';
import type { SchemeRuntime } from './runtime.ts';

export interface DispatcherOptions {
  /** Records claimed per cycle. */
  claimLimit?: number;
  /** How long a claim is held; a crashed worker's records return to the queue after it. */
  leaseMs?: number;
  /** Longest sleep when nothing is due (pushes wake the loop earlier). */
  idleMs?: number;
  /** Longest response text kept in a trace. */
  maxTraceChars?: number;
  metrics?: Metrics;
  /** Told when records are delivered (upstream triggers). */
  events?: EngineEvents;
  log?: { error(obj: unknown, msg?: string): void };
}

/** One target item and the records it carries: one record, or several merged by the target's groupCalculate. */
interface Ready {
  recs: ClaimedRecord[];
  mapped: MappedRecord;
}

/** Per-record outcome accumulated while a chunk is being delivered (bisection may call several times). */
interface Pending {
  ready: Ready;
  callIndexes: number[];
  events: RecordEvent[];
}

export class Dispatcher {
  private running = false;
  /** Schemes whose loop runs (started); a stopped scheme still takes pushes but sends nothing. */
  private readonly active = new Set<string>();
  private readonly loops = new Map<string, Promise<void>>();
  private wakers = new Map<string, () => void>();
  private readonly opts: Required<Omit<DispatcherOptions, 'log' | 'metrics' | 'events'>> & Pick<DispatcherOptions, 'log' | 'metrics' | 'events'>;

  constructor(
    private readonly store: Store,
    private readonly schemes: Map<string, SchemeRuntime>,
    opts: DispatcherOptions = {},
  ) {
    this.opts = {
      claimLimit: opts.claimLimit ?? 500,
      leaseMs: opts.leaseMs ?? 5 * 60_000,
      idleMs: opts.idleMs ?? 1000,
      maxTraceChars: opts.maxTraceChars ?? 16_384,
      log: opts.log,
      metrics: opts.metrics,
      events: opts.events,
    };
  }

  /** What mappings see at run time: the clock, the target's time zone, and `_findCollection` from the store. */
  private mapContext(rt: SchemeRuntime): MapContext {
    return { now: new Date(), tz: rt.targetConnector.timezone, lookup: (q) => this.store.lookup(q) };
  }

  /** Starts the loops of every enabled scheme, except `held` ones (their dispatch runs on a schedule). */
  start(held: ReadonlySet<string> = new Set()): void {
    if (this.running) return;
    this.running = true;
    for (const rt of this.schemes.values()) if (rt.def.enabled && !held.has(rt.def.id)) this.active.add(rt.def.id);
    for (const id of this.active) this.startScheme(id);
  }

  isActive(schemeId: string): boolean {
    return this.active.has(schemeId);
  }

  startScheme(schemeId: string): void {
    const rt = this.schemes.get(schemeId);
    if (!rt) return;
    this.active.add(schemeId);
    if (this.running && !this.loops.has(schemeId)) this.loops.set(schemeId, this.loop(rt));
  }

  /** Stops one scheme's loop after its in-flight calls settle. */
  async stopScheme(schemeId: string): Promise<void> {
    this.active.delete(schemeId);
    this.wake(schemeId);
    await this.loops.get(schemeId);
    this.loops.delete(schemeId);
  }

  /** Called after intake commits: the scheme has new work now. */
  wake(schemeId: string): void {
    this.wakers.get(schemeId)?.();
  }

  /** Stops claiming; in-flight calls finish and settle. */
  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.wakers.values()) w();
    await Promise.all(this.loops.values());
    this.loops.clear();
  }

  private async loop(rt: SchemeRuntime): Promise<void> {
    const id = rt.def.id;
    while (this.running && this.active.has(id)) {
      try {
        // A connector that is paused, open-circuited or slowing down after a rate limit: claim nothing yet.
        const blocked = rt.limiter.blockedUntil(Date.now());
        if (blocked > Date.now()) {
          await this.sleep(id, Math.min(this.opts.idleMs, blocked - Date.now()));
          continue;
        }
        const claimed = await this.store.claim(id, this.opts.claimLimit, this.opts.leaseMs, Date.now());
        if (claimed.length) {
          await this.process(rt, claimed);
          continue;
        }
        const next = await this.store.nextDue(id);
        const wait = next === null ? this.opts.idleMs : Math.max(0, Math.min(this.opts.idleMs, next - Date.now()));
        await this.sleep(id, wait);
      } catch (err) {
        this.opts.log?.error({ err, scheme: id }, 'dispatcher cycle failed');
        await this.sleep(id, this.opts.idleMs);
      }
    }
  }

  private sleep(schemeId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakers.set(schemeId, done);
    });
  }

  /** Map every claimed record (merged first when the target has groupCalculate), then deliver the mapped ones in
   *  chunks that share call-level params. */
  async process(rt: SchemeRuntime, claimed: ClaimedRecord[]): Promise<void> {
    const failed: Settlement[][] = [];
    const units: Array<{ recs: ClaimedRecord[]; content: Record<string, unknown> }> = [];
    const contents: Record<string, unknown>[] = [];
    const parsed: ClaimedRecord[] = [];
    for (const rec of claimed) {
      try {
        contents.push(JSON.parse(rec.content) as Record<string, unknown>);
        parsed.push(rec);
      } catch (err) {
        failed.push(this.mappingFailure([rec], err));
      }
    }
    const spec = rt.def.target.metadata.groupCalculate;
    if (spec !== undefined && spec !== null) {
      try {
        for (const g of groupCalculateDetailed(contents, spec)) units.push({ recs: g.rows.map((i) => parsed[i]), content: g.doc });
      } catch (err) {
        failed.push(this.mappingFailure(parsed, err));
      }
    } else parsed.forEach((rec, i) => units.push({ recs: [rec], content: contents[i] }));

    const groups = new Map<string, Ready[]>();
    const ctx = this.mapContext(rt);
    for (const u of units) {
      try {
        const m = rt.target.map(u.content, ctx);
        const mapped = rt.target.async ? await m : (m as MappedRecord);
        const key = stableKey(mapped.call);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = []));
        g.push({ recs: u.recs, mapped });
      } catch (err) {
        failed.push(this.mappingFailure(u.recs, err));
      }
    }
    if (failed.length) {
      const flat = failed.flat();
      await this.store.settle([], flat, Date.now());
      this.opts.metrics?.settled.inc({ scheme: rt.def.id, result: 'error' }, flat.length);
    }
    const chunks: Ready[][] = [];
    for (const g of groups.values()) for (let i = 0; i < g.length; i += rt.batchSize) chunks.push(g.slice(i, i + rt.batchSize));
    await Promise.all(chunks.map((c) => this.deliver(rt, c)));
  }

  private mappingFailure(recs: ClaimedRecord[], err: unknown): Settlement[] {
    const message = mappingMessage(err);
    return recs.map((rec) => ({
      id: rec.id,
      rev: rec.rev,
      status: RecordStatus.error,
      attempts: rec.attempts,
      error: message,
      events: [{ kind: 'error', message: `mapping failed: ${message}`, data: issuesOf(err) }],
    }));
  }

  private async deliver(rt: SchemeRuntime, chunk: Ready[]): Promise<void> {
    const calls: CallRow[] = [];
    const pending = chunk.map((ready): Pending => ({ ready, callIndexes: [], events: [] }));
    const settlements: Settlement[] = [];
    await this.send(rt, pending, calls, settlements);
    await this.store.settle(calls, settlements, Date.now());
    const delivered = settlements.filter((st) => st.status === RecordStatus.done).length;
    if (delivered) this.opts.events?.emit('done', rt.def.id, delivered);
    const m = this.opts.metrics;
    if (m) {
      for (const c of calls) {
        m.calls.inc({ connector: rt.targetConnector.name, api: c.api, outcome: c.outcome });
        m.callSeconds.observe({ connector: rt.targetConnector.name, api: c.api }, c.durationMs / 1000);
      }
      for (const st of settlements)
        m.settled.inc({ scheme: rt.def.id, result: st.status === RecordStatus.pending ? 'retry' : st.status === RecordStatus.done ? 'done' : 'error' });
    }
  }

  /** One call for `part`; on a business error with more than one record, bisect. */
  private async send(rt: SchemeRuntime, part: Pending[], calls: CallRow[], out: Settlement[]): Promise<void> {
    const api = rt.targetApi.name;
    const callParams = part[0].ready.mapped.call;
    const items = part.map((p) => p.ready.mapped.item);
    let release: () => void;
    try {
      release = await rt.limiter.acquire();
    } catch (err) {
      if (!(err instanceof CircuitOpenError)) throw err;
      for (const p of part) out.push(...this.defer(p, err.retryAt, err.message));
      return;
    }
    let outcome: WriteOutcome;
    try {
      outcome = await rt.client.write(api, callParams, items);
    } catch (err) {
      const transient = err instanceof TransientError;
      const rateLimited = transient && (err as TransientError).rateLimited;
      if (transient) rt.limiter.onTransientFailure(rateLimited);
      else if (rt.limiter.onSuccess()) void this.recovered(rt); // it answered: alive
      const trace = (err as { trace?: CallTrace }).trace;
      const ci = calls.push(this.callRow(rt, trace, transient ? 'transient' : 'business_error', (err as Error).message)) - 1;
      for (const p of part) {
        p.callIndexes.push(ci);
        // A rate limit is not the record's fault: it waits for the connector's slow-down, keeping its attempts.
        if (rateLimited) out.push(...this.defer(p, rt.limiter.blockedUntil(Date.now()), (err as Error).message));
        else out.push(...(transient ? this.retryOrFail(rt, p, (err as Error).message) : this.fail(p, (err as Error).message)));
      }
      return;
    } finally {
      release!();
    }
    if (rt.limiter.onSuccess()) void this.recovered(rt);
    const ci = calls.push(this.callRow(rt, outcome.trace, outcome.ok ? 'ok' : 'business_error', outcome.message)) - 1;
    for (const p of part) p.callIndexes.push(ci);
    if (outcome.ok) {
      part.forEach((p, i) => {
        const itemError = outcome.itemErrors?.get(i);
        out.push(...(itemError ? this.fail(p, itemError) : this.done(p)));
      });
      return;
    }
    const message = `${outcome.code ?? ''} ${outcome.message ?? 'target rejected the call'}`.trim();
    if (part.length === 1) {
      out.push(...this.fail(part[0], message));
      return;
    }
    // Business error for a batch: isolate the bad record(s) by bisection, delivering the good ones now.
    for (const p of part) p.events.push({ kind: 'retry', message: `batch of ${part.length} rejected (${message}); splitting` });
    const mid = Math.ceil(part.length / 2);
    await this.send(rt, part.slice(0, mid), calls, out);
    await this.send(rt, part.slice(mid), calls, out);
  }

  /** The settlement of every record a pending item carries. */
  private settleAll(p: Pending, f: (rec: ClaimedRecord) => Omit<Settlement, 'id' | 'rev' | 'mapped' | 'callIndexes'>): Settlement[] {
    return p.ready.recs.map((rec) => ({ id: rec.id, rev: rec.rev, mapped: p.ready.mapped.item, callIndexes: p.callIndexes, ...f(rec) }));
  }

  private done(p: Pending): Settlement[] {
    return this.settleAll(p, (rec) => ({ status: RecordStatus.done, error: null, attempts: rec.attempts + 1, events: [...p.events, { kind: 'done' }] }));
  }

  private fail(p: Pending, message: string): Settlement[] {
    return this.settleAll(p, (rec) => ({ status: RecordStatus.error, error: message, attempts: rec.attempts + 1, events: [...p.events, { kind: 'error', message }] }));
  }

  /** The connector's breaker just closed: records waiting on the retry ladder because of the outage go now. */
  private async recovered(rt: SchemeRuntime): Promise<void> {
    const now = Date.now();
    for (const other of this.schemes.values()) {
      if (other.targetConnector.name !== rt.targetConnector.name) continue;
      const n = await this.store.expediteRetries(other.def.id, now);
      if (n) this.wake(other.def.id);
    }
  }

  /** Back to pending without using an attempt: the connector, not the record, is the problem. */
  private defer(p: Pending, retryAt: number, message: string): Settlement[] {
    const dueAt = Math.max(retryAt, Date.now());
    return this.settleAll(p, (rec) => ({
      status: RecordStatus.pending,
      error: message,
      attempts: rec.attempts,
      dueAt,
      events: [...p.events, { kind: 'retry', message: `${message}; waiting until ${new Date(retryAt).toISOString()}` }],
    }));
  }

  private retryOrFail(rt: SchemeRuntime, p: Pending, message: string): Settlement[] {
    // ±10% jitter so records that failed together do not all come back in the same instant.
    const jitter = 0.9 + Math.random() * 0.2;
    return this.settleAll(p, (rec) => {
      const attempts = rec.attempts + 1;
      if (attempts > rt.maxRetries) {
        const final = `${message} (gave up after ${attempts} attempts)`;
        return { status: RecordStatus.error, error: final, attempts, events: [...p.events, { kind: 'error', message: final }] };
      }
      const ladder = rt.retryLadderMs;
      const delay = Math.round(ladder[Math.min(attempts - 1, ladder.length - 1)] * jitter);
      return {
        status: RecordStatus.pending,
        error: message,
        attempts,
        dueAt: Date.now() + delay,
        events: [...p.events, { kind: 'retry', message: `${message}; attempt ${attempts} failed, next in ${Math.round(delay / 1000)} s` }],
      };
    });
  }

  private callRow(rt: SchemeRuntime, trace: CallTrace | undefined, outcome: CallRow['outcome'], error?: string): CallRow {
    const max = this.opts.maxTraceChars;
    const response = trace?.response;
    return {
      schemeId: rt.def.id,
      api: trace?.api ?? rt.targetApi.name,
      url: trace?.url ?? '',
      request: trace?.request ?? null,
      status: trace?.status,
      response: response && response.length > max ? `${response.slice(0, max)}…(${response.length} chars)` : response,
      durationMs: trace?.durationMs ?? 0,
      error: outcome === 'ok' ? undefined : error,
      outcome,
    };
  }
}

function mappingMessage(err: unknown): string {
  if (err instanceof ValidationError) return err.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  if (err instanceof MappingError) return err.message;
  return (err as Error)?.message ?? String(err);
}

function issuesOf(err: unknown): unknown {
  if (err instanceof ValidationError) return err.issues;
  if (err instanceof MappingError) return { field: err.field, expression: err.expression };
  return undefined;
}
