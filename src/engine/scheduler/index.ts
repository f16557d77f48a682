/**
 * Scheduled sources and scheduled targets. See docs/scheduling.md.
 *
 *   const scheduler = new Scheduler({ store, jobs: new SqliteSourceJobs(store.db), runtime, dispatcher, committer, events });
 *   dispatcher.start(scheduler.scheduledTargets());
 *   scheduler.start();   …   await scheduler.stop();
 */
import type { Runtime } from '../runtime.ts';
import type { Scheduler } from './scheduler.ts';

export { Scheduler, type SchedulerOptions, type SchedulerDeps, type ScheduleStatus, type Side } from './scheduler.ts';
export { sourcePlan, targetPlan, pushSourceSchedule, checkScheduleRefs, parseTimeSetting, usesVar, type SourcePlan, type TargetPlan } from './config.ts';
export { SourceReader } from './reader.ts';
export * as planning from './plan.ts';

/** The scheduler serving a runtime, for route modules (the server context predates the scheduler). */
const byRuntime = new WeakMap<Runtime, Scheduler>();

export function attachScheduler(runtime: Runtime, scheduler: Scheduler): void {
  byRuntime.set(runtime, scheduler);
}

export function schedulerOf(runtime: Runtime): Scheduler | undefined {
  return byRuntime.get(runtime);
}
