/**
 * `qiao scheme run ID` (run a side now) and `qiao scheme schedule ID` (schedule status, LAST_SYNC_TIME, last runs),
 * against a running server's management API.
 */
import type { Command } from 'commander';
import { callApi, withConnection, type ConnOptions } from '../api-client.ts';
import { CliError, intOption } from '../util.ts';

interface RunView {
  id: number;
  trigger: string;
  status: string;
  windowFrom: string | null;
  windowTo: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  pages: number;
  rows: number;
  accepted: number;
  duplicate: number;
  filtered: number;
  rejected: number;
  error: string | null;
}

function runLine(r: RunView): string {
  const window = r.windowFrom ? `${r.windowFrom} → ${r.windowTo}` : '(no window)';
  return `#${r.id} ${r.status.padEnd(9)} ${r.trigger.padEnd(14)} ${window}  pages=${r.pages} rows=${r.rows} new=${r.accepted} dup=${r.duplicate} filtered=${r.filtered} rejected=${r.rejected}${r.error ? `  error: ${r.error}` : ''}`;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function printStatus(s: any): void {
  const out: string[] = [`scheme ${s.scheme}: ${s.enabled ? 'started' : 'stopped'}`];
  const src = s.source;
  if (src.kind === 'push') out.push(`  source  ${src.api} (${src.connector}): pushed, not polled`);
  else {
    out.push(`  source  ${src.api} (${src.connector}): ${src.state}${src.waitingFor ? ` — waiting: ${src.waitingFor}` : ''}`);
    out.push(`          cron ${src.cron ?? '(none: run on demand)'}${src.nextRunAt ? `, next ${src.nextRunAt}` : ''} (${src.timezone})`);
    out.push(`          LAST_SYNC_TIME ${src.lastSyncTime ?? '(never: starts at ' + (src.startTime ?? 'now − overlap') + ')'}`);
    if (src.windowed)
      out.push(`          window: overlap ${src.overlapMinutes} min, lag ${src.lagSeconds} s, at most ${src.maxWindowMinutes ?? '∞'} min per call`);
    out.push(`          pages: ${src.pagination.style}, ${src.pagination.pageSize} rows${src.detail ? `; detail ${src.detail}` : ''}`);
    if (src.note) out.push(`          note: ${src.note}`);
    if (src.current?.page)
      out.push(
        `          now: run #${src.current.run.id}, chunk ${src.current.page.chunkFrom ?? '-'} → ${src.current.page.chunkTo ?? '-'}, page ${src.current.page.page}` +
          `${src.current.page.attempts ? `, attempt ${src.current.page.attempts + 1} at ${src.current.page.dueAt}: ${src.current.page.error}` : ''}`,
      );
    for (const r of src.runs ?? []) out.push(`          ${runLine(r)}`);
  }
  const t = s.target;
  if (t.mode === 'continuous') out.push(`  target  continuous: ${t.state}`);
  else
    out.push(
      `  target  ${t.state}${t.waitingFor ? ` — waiting: ${t.waitingFor}` : ''}; cron ${t.cron ?? '(none)'}${t.nextRunAt ? `, next ${t.nextRunAt}` : ''}; last run ${t.lastRunAt ?? '-'}, done ${t.lastDoneAt ?? '-'}`,
    );
  out.push(`  records ${Object.entries(s.counts ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Adds `run` and `schedule` to the `qiao scheme` command group. */
export function registerSchemeRun(scheme: Command): void {
  withConnection(scheme.command('run'))
    .argument('<scheme>', 'scheme id')
    .description('run a scheme now: read its source (polled schemes) or send its pending records (--side target)')
    .option('--side <side>', 'source, target or both (default: source when the source is polled, else target)')
    .option('-w, --wait', 'wait until the source run has read its whole window')
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long', intOption('timeout'), 300)
    .option('--json', 'print JSON')
    .action(async (id: string, o: ConnOptions & { side?: string; wait?: boolean; timeout: number; json?: boolean }) => {
      if (o.side && !['source', 'target', 'both'].includes(o.side)) throw new CliError('--side is source, target or both');
      const r = await callApi(o, 'POST', `/api/schemes/${encodeURIComponent(id)}/run`, {
        ...(o.side ? { side: o.side } : {}),
        ...(o.wait ? { wait: true, timeoutMs: o.timeout * 1000 } : {}),
      });
      if (o.json) return void process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      for (const [side, res] of Object.entries(r.results as Record<string, { ok: boolean; message: string }>))
        process.stdout.write(`${id} ${side}: ${res.message}\n`);
      if (r.finished === false) process.stdout.write(`still running after ${o.timeout} s; see: qiao scheme schedule ${id}\n`);
      const last = r.schedule?.source?.runs?.[0];
      if (o.wait && last) process.stdout.write(`${runLine(last)}\n`);
    });

  withConnection(scheme.command('schedule'))
    .argument('<scheme>', 'scheme id')
    .description('schedule status: cron and next run, LAST_SYNC_TIME, current page, last runs')
    .option('-r, --runs <n>', 'how many past runs to show', intOption('runs'), 5)
    .option('--set-cursor <time>', 'set LAST_SYNC_TIME ("2024-06-01 00:00:00", "-1d", or "none" to start over); cancels a run in progress')
    .option('--json', 'print JSON')
    .action(async (id: string, o: ConnOptions & { runs: number; setCursor?: string; json?: boolean }) => {
      const path = `/api/schemes/${encodeURIComponent(id)}/schedule`;
      if (o.setCursor !== undefined)
        await callApi(o, 'PUT', `${path}/cursor`, { lastSyncTime: o.setCursor === 'none' ? null : o.setCursor });
      const s = await callApi(o, 'GET', `${path}?runs=${o.runs}`);
      if (o.json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      printStatus(s);
    });
}
