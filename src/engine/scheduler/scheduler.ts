/**
 * The scheduler: when each side of each scheme runs.
 *
 * Source side (请求定时) of a polled scheme: a cron (croner), run-now, run-on-start and upstream triggers ask for a
 * run; the run starts when its preconditions (执行条件) hold; it then reads its window page by page — every page a
 * durable job in the store — until the window is read, moving LAST_SYNC_TIME only after the rows are stored. A
 * run left open by a crash resumes at its pending page when the server starts again. Triggers arriving during a
 * run are coalesced into one more run after it.
 *
 * Target side (执行定时): without a schedule the dispatcher sends records as soon as they are due (the default).
 * With one, the scheme's dispatcher loop runs only during a "target run": started by its cron, a trigger or an
 * operator's start, and stopped again once nothing is due.
 */
import { Cron } from 'croner';
import type { EngineEvents } from '../events.ts';
import type { Metrics } from '../metrics.ts';
import { formatDateTime } from '../../mapping/time.ts';
import type { SchemeRef } from '../../metadata/types.ts';
import type { SourceJob, SourceJobStore, SourceRun, Store } from '../../store/types.ts';
import type { Dispatcher } from '../dispatcher.ts';
import type { GroupCommitter } from '../group-commit.ts';
import type { Runtime, SchemeRuntime } from '../runtime.ts';
import type { SourcePlan, TargetPlan } from './config.ts';
import { firstJob, runWindow } from './plan.ts';
import { SourceReader } from './reader.ts';

export interface SchedulerLog {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface SchedulerOptions {
  /** Business clock for windows and page due times (tests move it); default Date.now. */
  now?: () => number;
  /** How often waiting preconditions and target runs are re-checked, ms (default 1000). */
  tickMs?: number;
  log?: SchedulerLog;
}

export interface SchedulerDeps {
  store: Store;
  jobs: SourceJobStore;
  runtime: Runtime;
  dispatcher: Dispatcher;
  committer: GroupCommitter;
  /** Stored/delivered records per scheme, for upstream triggers (上游触发方案). */
  events: EngineEvents;
  metrics?: Metrics;
}

export type Side = 'source' | 'target';

interface SourceState {
  rt: SchemeRuntime;
  plan: SourcePlan;
  reader: SourceReader;
  cron?: Cron;
  /** Why the next run was asked for (coalesces triggers). */
  wanted?: string;
  waitingFor?: string;
  waitingSince?: number;
  busy: boolean;
  lastTrigger?: { reason: string; at: number };
  lastSkip?: string;
  wake?: () => void;
  loop?: Promise<void>;
  /** Replaced (the scheme was edited at run time) or removed: its loop ends. */
  retired?: boolean;
}

interface TargetState {
  rt: SchemeRuntime;
  plan: TargetPlan;
  cron?: Cron;
  wanted?: string;
  waitingFor?: string;
  waitingSince?: number;
  draining: boolean;
  lastTrigger?: { reason: string; at: number };
  lastRunAt?: number;
  lastDoneAt?: number;
}

const MAX_SLEEP = 60_000;

export class Scheduler {
  private readonly sources = new Map<string, SourceState>();
  private readonly targets = new Map<string, TargetState>();
  private running = false;
  private ticker?: NodeJS.Timeout;
  private ticking = false;
  private readonly onStored = (id: string) => this.upstream(id, 'stored');
  private readonly onDone = (id: string) => this.upstream(id, 'done');
  readonly now: () => number;
  private readonly tickMs: number;
  private readonly log?: SchedulerLog;

  /** Every source loop ever started (retired ones included), awaited on stop. */
  private readonly loops = new Set<Promise<void>>();

  constructor(
    private readonly deps: SchedulerDeps,
    opts: SchedulerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.tickMs = opts.tickMs ?? 1000;
    this.log = opts.log;
    for (const rt of deps.runtime.schemes.values()) this.adopt(rt);
  }

  /** Build the states of one scheme's runtime (replacing older ones). */
  private adopt(rt: SchemeRuntime): void {
    const id = rt.def.id;
    if (rt.sourcePlan && rt.sourceClient) {
      const reader = new SourceReader(rt, rt.sourcePlan, {
        committer: this.deps.committer,
        jobs: this.deps.jobs,
        now: this.now,
        onStored: (sid) => this.deps.dispatcher.wake(sid),
        log: this.log,
        metrics: this.deps.metrics,
      });
      this.sources.set(id, { rt, plan: rt.sourcePlan, reader, busy: false });
    } else this.sources.delete(id);
    if (rt.targetPlan) {
      const old = this.targets.get(id);
      this.targets.set(id, { rt, plan: rt.targetPlan, draining: old?.draining ?? false, lastRunAt: old?.lastRunAt, lastDoneAt: old?.lastDoneAt });
    } else this.targets.delete(id);
  }

  private armSource(s: SourceState): void {
    const id = s.rt.def.id;
    if (s.plan.cron)
      s.cron = new Cron(s.plan.cron, { timezone: s.plan.timezone, startAt: s.plan.startAt, protect: true }, () => {
        this.trigger(id, 'source', 'cron');
      });
  }

  private armTarget(t: TargetState): void {
    const id = t.rt.def.id;
    if (t.plan.cron)
      t.cron = new Cron(t.plan.cron, { timezone: t.plan.timezone, startAt: t.plan.startAt, protect: true }, () => {
        this.trigger(id, 'target', 'cron');
      });
  }

  private startLoop(s: SourceState, after?: Promise<void>): void {
    const loop = (async () => {
      // A replaced scheme's page in flight finishes before the new loop touches the same jobs.
      await after;
      await this.sourceLoop(s);
    })();
    s.loop = loop;
    this.loops.add(loop);
    void loop.finally(() => this.loops.delete(loop));
  }

  /**
   * Schemes made, edited or removed at run time (the console replaces a scheme's runtime object): retire the
   * states of changed schemes and schedule the new ones.
   */
  private sync(): void {
    const schemes = this.deps.runtime.schemes;
    const ids = new Set([...this.sources.keys(), ...this.targets.keys(), ...schemes.keys()]);
    for (const id of ids) {
      const rt = schemes.get(id);
      const s = this.sources.get(id);
      const t = this.targets.get(id);
      const known = s?.rt ?? t?.rt;
      if (rt && known === rt) continue;
      if (!rt && !known) continue;
      // New, edited or removed: retire what ran for it …
      if (s) {
        s.retired = true;
        s.cron?.stop();
        s.wake?.();
        this.sources.delete(id);
      }
      t?.cron?.stop();
      if (!rt) {
        this.targets.delete(id);
        continue;
      }
      if (!known && !rt.sourcePlan && !rt.targetPlan) continue;
      // … and schedule what the scheme is now.
      this.adopt(rt);
      const fresh = this.sources.get(id);
      if (fresh) {
        fresh.wanted = s?.wanted;
        this.armSource(fresh);
        this.startLoop(fresh, s?.loop);
      }
      const ft = this.targets.get(id);
      if (ft) this.armTarget(ft);
    }
  }

  /** Schemes whose dispatch runs only during target runs (执行定时): `dispatcher.start()` leaves them out. */
  scheduledTargets(): Set<string> {
    return new Set(this.targets.keys());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.deps.events.on('stored', this.onStored);
    this.deps.events.on('done', this.onDone);
    for (const s of this.sources.values()) {
      this.armSource(s);
      if (s.plan.runOnStart) this.trigger(s.rt.def.id, 'source', 'start');
      this.startLoop(s);
    }
    for (const t of this.targets.values()) {
      this.armTarget(t);
      if (t.plan.runOnStart) this.trigger(t.rt.def.id, 'target', 'start');
    }
    this.ticker = setInterval(() => void this.tick(), this.tickMs);
    this.ticker.unref?.();
  }

  /** Stops the crons; a page in flight finishes (its rows are committed and the page settled) first. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.ticker);
    for (const s of this.sources.values()) {
      s.cron?.stop();
      s.wake?.();
    }
    for (const t of this.targets.values()) t.cron?.stop();
    await Promise.all([...this.loops]);
    while (this.ticking) await new Promise((r) => setTimeout(r, 10));
    this.deps.events.off('stored', this.onStored);
    this.deps.events.off('done', this.onDone);
  }

  has(schemeId: string, side: Side): boolean {
    return side === 'source' ? this.sources.has(schemeId) : this.targets.has(schemeId) || this.deps.runtime.schemes.has(schemeId);
  }

  /**
   * Ask for a run of one side now (cron, run-now, upstream, start). Returns false with a reason when the side
   * cannot run (unknown scheme, push source, scheme stopped).
   */
  trigger(schemeId: string, side: Side, reason: string): { ok: boolean; message: string } {
    const rt = this.deps.runtime.schemes.get(schemeId);
    if (!rt) return { ok: false, message: `no scheme "${schemeId}"` };
    if (!rt.def.enabled) return { ok: false, message: `scheme ${schemeId} is stopped; start it first` };
    const at = this.now();
    if (side === 'source') {
      const s = this.sources.get(schemeId);
      if (!s) return { ok: false, message: `the source of ${schemeId} (${rt.def.source.metadata.api}) is not polled: its records are pushed` };
      s.lastTrigger = { reason, at };
      const already = s.wanted !== undefined;
      s.wanted ??= reason;
      s.wake?.();
      return { ok: true, message: already ? 'a run is already queued' : 'run queued' };
    }
    const t = this.targets.get(schemeId);
    if (!t) {
      // No target schedule: records are sent continuously; "run now" just wakes the dispatcher.
      this.deps.dispatcher.wake(schemeId);
      return { ok: true, message: 'the target sends continuously; dispatcher woken' };
    }
    t.lastTrigger = { reason, at };
    t.wanted ??= reason;
    void this.tick();
    return { ok: true, message: 'target run queued' };
  }

  /** A scheme stored (or delivered) records: start every side that is triggered by it. */
  private upstream(schemeId: string, on: 'stored' | 'done'): void {
    if (!this.running) return;
    const hit = (refs: SchemeRef[]) => refs.some((r) => r.scheme === schemeId && (r.on ?? 'stored') === on);
    for (const s of this.sources.values()) if (hit(s.plan.triggeredBy) && s.rt.def.enabled) this.trigger(s.rt.def.id, 'source', `upstream:${schemeId}`);
    for (const t of this.targets.values()) if (hit(t.plan.triggeredBy) && t.rt.def.enabled) this.trigger(t.rt.def.id, 'target', `upstream:${schemeId}`);
  }


  // ------------------------------------------------------------------ source runs

  private sleep(s: SourceState, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        s.wake = undefined;
        resolve();
      }
      s.wake = done;
    });
  }

  private async sourceLoop(s: SourceState): Promise<void> {
    const id = s.rt.def.id;
    while (this.running && !s.retired) {
      try {
        if (!s.rt.def.enabled) {
          await this.sleep(s, this.tickMs);
          continue;
        }
        const open = await this.deps.jobs.openRun(id);
        if (open?.job) {
          const wait = open.job.dueAt - this.now();
          if (wait > 0) {
            await this.sleep(s, Math.min(wait, MAX_SLEEP));
            continue;
          }
          s.busy = true;
          try {
            const out = await s.reader.runPage(open.run, open.job);
            if (out.step === 'done') this.log?.info({ scheme: id, run: open.run.id }, 'source run done');
          } finally {
            s.busy = false;
          }
          continue;
        }
        if (s.wanted !== undefined) {
          const why = await this.unmet(s.plan.requires);
          if (why) {
            if (s.waitingFor !== why) this.log?.info({ scheme: id, waitingFor: why }, 'source run waits for a precondition');
            s.waitingFor = why;
            s.waitingSince ??= this.now();
            await this.sleep(s, this.tickMs);
            continue;
          }
          s.waitingFor = s.waitingSince = undefined;
          const reason = s.wanted;
          s.wanted = undefined;
          await this.startRun(s, reason);
          continue;
        }
        await this.sleep(s, MAX_SLEEP);
      } catch (err) {
        this.log?.error({ err, scheme: id }, 'scheduler cycle failed');
        await this.sleep(s, this.tickMs);
      }
    }
  }

  private async startRun(s: SourceState, reason: string): Promise<void> {
    const id = s.rt.def.id;
    const now = this.now();
    const cursor = await this.deps.jobs.getCursor(id);
    let window: { from: number; to: number } | null = null;
    if (s.plan.windowed) {
      const w = runWindow(s.plan, cursor, now);
      if (!w) {
        s.lastSkip = `nothing to read yet: the window would start after ${formatDateTime(now - s.plan.lagMs, s.plan.timezone)}`;
        return;
      }
      window = w;
    }
    s.lastSkip = undefined;
    const { run, created } = await this.deps.jobs.createRun(id, reason, window ?? { from: null, to: null }, firstJob(s.plan, window, now), now);
    if (created) this.log?.info({ scheme: id, run: run.id, trigger: reason, from: window?.from, to: window?.to }, 'source run started');
  }

  /** First unmet precondition, or undefined. A scheme "has run and is idle": source read at least once and not reading now; nothing waiting to be sent. */
  private async unmet(requires: SchemeRef[]): Promise<string | undefined> {
    for (const r of requires) {
      const other = this.deps.runtime.schemes.get(r.scheme);
      if (!other) return `scheme ${r.scheme} does not exist`;
      if (this.sources.has(r.scheme)) {
        if ((await this.deps.jobs.getCursor(r.scheme)) === null) return `scheme ${r.scheme} has not read its source yet`;
        const s = this.sources.get(r.scheme)!;
        if (s.busy || (await this.deps.jobs.openRun(r.scheme)) || s.wanted !== undefined) return `scheme ${r.scheme} is reading its source`;
      }
      const counts = await this.deps.store.countByStatus(r.scheme);
      if (counts.queued > 0) return `scheme ${r.scheme} is sending ${counts.queued} record(s)`;
      const due = await this.deps.store.nextDue(r.scheme);
      if (due !== null && due <= Date.now()) return `scheme ${r.scheme} has records waiting to be sent`;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ target runs

  /** Re-checks target runs: start wanted ones whose preconditions hold, stop drained ones. */
  private async tick(): Promise<void> {
    if (this.ticking || !this.running) return;
    this.ticking = true;
    try {
      this.sync();
      for (const t of this.targets.values()) {
        const id = t.rt.def.id;
        const d = this.deps.dispatcher;
        if (t.draining) {
          if (!d.isActive(id)) {
            t.draining = false; // stopped by an operator
            continue;
          }
          if (await this.drained(id)) {
            await d.stopScheme(id);
            t.draining = false;
            t.lastDoneAt = this.now();
            this.log?.info({ scheme: id }, 'target run done');
          }
          continue;
        }
        if (d.isActive(id)) {
          // Started by an operator (POST …/start): one target run, then back to the schedule.
          t.draining = true;
          t.lastRunAt = this.now();
          t.lastTrigger = { reason: 'start', at: this.now() };
          continue;
        }
        if (t.wanted === undefined || !t.rt.def.enabled) continue;
        const why = await this.unmet(t.plan.requires);
        if (why) {
          t.waitingFor = why;
          t.waitingSince ??= this.now();
          continue;
        }
        t.waitingFor = t.waitingSince = undefined;
        t.wanted = undefined;
        t.draining = true;
        t.lastRunAt = this.now();
        d.startScheme(id);
      }
    } catch (err) {
      this.log?.error({ err }, 'scheduler tick failed');
    } finally {
      this.ticking = false;
    }
  }

  private async drained(schemeId: string): Promise<boolean> {
    const counts = await this.deps.store.countByStatus(schemeId);
    if (counts.queued > 0) return false;
    const due = await this.deps.store.nextDue(schemeId);
    return due === null || due > Date.now();
  }

  // ------------------------------------------------------------------ operator API

  /** Set LAST_SYNC_TIME (null: start over from the configured start time); cancels a run in progress. */
  async setCursor(schemeId: string, at: number | null, actor: string): Promise<void> {
    const s = this.sources.get(schemeId);
    if (!s) throw new Error(`scheme ${schemeId} has no polled source`);
    while (s.busy) await new Promise((r) => setTimeout(r, 20));
    await this.deps.jobs.setCursor(schemeId, at, actor, this.now());
    s.wake?.();
  }

  /** Resolves once the source has no queued, waiting or open run (for `run --wait`). */
  async sourceIdle(schemeId: string, timeoutMs: number): Promise<boolean> {
    const s = this.sources.get(schemeId);
    if (!s) return true;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (s.wanted === undefined && !s.busy && !(await this.deps.jobs.openRun(schemeId))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  async status(schemeId: string, runs = 10): Promise<ScheduleStatus | undefined> {
    const rt = this.deps.runtime.schemes.get(schemeId);
    if (!rt) return undefined;
    const s = this.sources.get(schemeId);
    const t = this.targets.get(schemeId);
    const now = this.now();
    const tz = s?.plan.timezone ?? t?.plan.timezone ?? 'Asia/Shanghai';
    const time = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : formatDateTime(ms, tz));
    let source: ScheduleStatus['source'];
    if (s) {
      const cursor = await this.deps.jobs.getCursor(schemeId);
      const open = await this.deps.jobs.openRun(schemeId);
      const history = await this.deps.jobs.listRuns(schemeId, runs);
      const state = !rt.def.enabled
        ? 'stopped'
        : s.busy
          ? 'running'
          : open
            ? open.job && open.job.attempts > 0 && open.job.dueAt > now
              ? 'retrying'
              : 'running'
            : s.wanted !== undefined
              ? s.waitingFor
                ? 'waiting'
                : 'queued'
              : 'idle';
      const p = s.plan;
      source = {
        kind: 'query',
        api: rt.def.source.metadata.api,
        connector: rt.def.source.connector,
        state,
        cron: p.cron ?? null,
        timezone: p.timezone,
        nextRunAt: time(s.cron?.nextRun()?.getTime()),
        lastSyncTime: time(cursor),
        lastSyncTimeMs: cursor,
        windowed: p.windowed,
        startTime: p.startTime ?? null,
        overlapMinutes: p.overlapMs / 60_000,
        lagSeconds: p.lagMs / 1000,
        maxWindowMinutes: p.maxWindowMs === undefined ? null : p.maxWindowMs / 60_000,
        pagination: { style: p.pagination.style, pageSize: p.pagination.pageSize, firstPage: p.pagination.firstPage },
        detail: p.detail?.api ?? null,
        requires: p.requires,
        triggeredBy: p.triggeredBy,
        waitingFor: s.waitingFor ?? null,
        lastTrigger: s.lastTrigger ? { reason: s.lastTrigger.reason, at: time(s.lastTrigger.at) } : null,
        note: s.lastSkip ?? null,
        current: open ? { run: runView(open.run, time), page: open.job ? jobView(open.job, time) : null } : null,
        runs: history.map((r) => runView(r, time)),
      };
    } else source = { kind: 'push', api: rt.def.source.metadata.api, connector: rt.def.source.connector };
    const d = this.deps.dispatcher;
    const target: ScheduleStatus['target'] = t
      ? {
          mode: 'scheduled',
          state: !rt.def.enabled ? 'stopped' : t.draining ? 'running' : t.waitingFor ? 'waiting' : t.wanted !== undefined ? 'queued' : 'idle',
          cron: t.plan.cron ?? null,
          timezone: t.plan.timezone,
          nextRunAt: time(t.cron?.nextRun()?.getTime()),
          requires: t.plan.requires,
          triggeredBy: t.plan.triggeredBy,
          waitingFor: t.waitingFor ?? null,
          lastTrigger: t.lastTrigger ? { reason: t.lastTrigger.reason, at: time(t.lastTrigger.at) } : null,
          lastRunAt: time(t.lastRunAt),
          lastDoneAt: time(t.lastDoneAt),
        }
      : { mode: 'continuous', state: d.isActive(schemeId) ? 'running' : 'stopped' };
    return { scheme: schemeId, enabled: rt.def.enabled, source, target, counts: await this.deps.store.countByStatus(schemeId) };
  }
}

function runView(r: SourceRun, time: (ms: number | null | undefined) => string | null) {
  return {
    id: r.id,
    trigger: r.trigger,
    status: r.status,
    windowFrom: time(r.windowFrom),
    windowTo: time(r.windowTo),
    startedAt: time(r.startedAt),
    finishedAt: time(r.finishedAt),
    pages: r.pages,
    rows: r.rows,
    accepted: r.accepted,
    duplicate: r.duplicate,
    filtered: r.filtered,
    rejected: r.rejected,
    error: r.error,
  };
}

function jobView(j: SourceJob, time: (ms: number | null | undefined) => string | null) {
  return {
    id: j.id,
    chunkFrom: time(j.chunkFrom),
    chunkTo: time(j.chunkTo),
    page: j.page,
    pageSize: j.pageSize,
    pass: j.pass,
    attempts: j.attempts,
    dueAt: time(j.dueAt),
    error: j.error,
  };
}

export interface ScheduleStatus {
  scheme: string;
  enabled: boolean;
  source:
    | { kind: 'push'; api: string; connector: string }
    | {
        kind: 'query';
        api: string;
        connector: string;
        state: 'stopped' | 'running' | 'retrying' | 'waiting' | 'queued' | 'idle';
        cron: string | null;
        timezone: string;
        nextRunAt: string | null;
        lastSyncTime: string | null;
        lastSyncTimeMs: number | null;
        windowed: boolean;
        startTime: string | null;
        overlapMinutes: number;
        lagSeconds: number;
        maxWindowMinutes: number | null;
        pagination: { style: string; pageSize: number; firstPage: number };
        detail: string | null;
        requires: SchemeRef[];
        triggeredBy: SchemeRef[];
        waitingFor: string | null;
        lastTrigger: { reason: string; at: string | null } | null;
        note: string | null;
        current: { run: ReturnType<typeof runView>; page: ReturnType<typeof jobView> | null } | null;
        runs: Array<ReturnType<typeof runView>>;
      };
  target:
    | { mode: 'continuous'; state: 'running' | 'stopped' }
    | {
        mode: 'scheduled';
        state: 'stopped' | 'running' | 'waiting' | 'queued' | 'idle';
        cron: string | null;
        timezone: string;
        nextRunAt: string | null;
        requires: SchemeRef[];
        triggeredBy: SchemeRef[];
        waitingFor: string | null;
        lastTrigger: { reason: string; at: string | null } | null;
        lastRunAt: string | null;
        lastDoneAt: string | null;
      };
  counts: Record<string, number>;
}
