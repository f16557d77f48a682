import type { Command } from 'commander';
import fs from 'node:fs';
import { callApi, withConnection, type ConnOptions } from '../api-client.ts';
import { CliError, intOption } from '../util.ts';

export function registerRecords(program: Command): void {
  const rec = program.command('records').description('records of a scheme on a running server');
  const conn = withConnection;

  conn(rec.command('list'))
    .argument('<scheme>', 'scheme id')
    .option('-s, --status <status>', 'pending|queued|done|error|duplicate|ignored or 0..5')
    .option('-l, --limit <n>', 'rows', intOption('limit'), 20)
    .option('-o, --offset <n>', 'skip rows', intOption('offset'), 0)
    .option('--json', 'print JSON')
    .action(async (scheme: string, o: ConnOptions & { status?: string; limit: number; offset: number; json?: boolean }) => {
      const q = new URLSearchParams({ limit: String(o.limit), offset: String(o.offset) });
      if (o.status) q.set('status', o.status);
      const res = (await callApi(o, 'GET', `/api/schemes/${encodeURIComponent(scheme)}/records?${q}`)) as {
        total: number;
        rows: Array<{ id: number; sourceId: string; statusName: string; attempts: number; error: string | null; updatedAt: number }>;
      };
      if (o.json) return void process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
      process.stdout.write(`${res.total} record(s)\n`);
      for (const r of res.rows)
        process.stdout.write(
          `${String(r.id).padStart(8)}  ${r.statusName.padEnd(9)} ${r.sourceId}  attempts=${r.attempts}  ${new Date(r.updatedAt).toISOString()}${r.error ? `  ${r.error}` : ''}\n`,
        );
    });

  conn(rec.command('show'))
    .argument('<scheme>', 'scheme id')
    .argument('<record>', 'record id (number)')
    .description('the full trace of one record: content, mapped request, every call, history')
    .action(async (scheme: string, record: string, o: ConnOptions) => {
      const res = await callApi(o, 'GET', `/api/schemes/${encodeURIComponent(scheme)}/records/${encodeURIComponent(record)}`);
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    });

  // 重新排队 / 忽略: by record ids or by a filter; the history records who did it.
  for (const action of ['requeue', 'ignore'] as const)
    conn(rec.command(action))
      .argument('<scheme>', 'scheme id')
      .argument('[ids...]', 'record ids')
      .option('-s, --status <list>', 'comma-separated statuses, e.g. error')
      .option('--from <time>', 'created at or after (ISO date-time)')
      .option('--to <time>', 'created at or before (ISO date-time)')
      .option('--error <text>', 'error message contains')
      .description(action === 'requeue' ? 'send records again (重新排队), by ids or filter' : 'set records aside (忽略), by ids or filter')
      .action(async (scheme: string, ids: string[], o: ConnOptions & { status?: string; from?: string; to?: string; error?: string }) => {
        const filter: Record<string, unknown> = {};
        if (ids.length) filter.ids = ids.map((x) => (/^\d+$/.test(x) ? Number(x) : NaN)).map((n, i) => (Number.isNaN(n) ? fail(ids[i]) : n));
        if (o.status) filter.status = o.status.split(',').map((s) => (/^\d+$/.test(s) ? Number(s) : s.trim()));
        if (o.from) filter.from = o.from;
        if (o.to) filter.to = o.to;
        if (o.error) filter.error = o.error;
        const r = await callApi(o, 'POST', `/api/schemes/${encodeURIComponent(scheme)}/records/${action}`, filter);
        process.stdout.write(`${action === 'requeue' ? `${r.requeued} record(s) re-queued` : `${r.ignored} record(s) ignored`}\n`);
      });

  conn(rec.command('edit'))
    .argument('<scheme>', 'scheme id')
    .argument('<record>', 'record id')
    .requiredOption('-f, --file <file>', 'JSON file with the corrected record content')
    .description("replace a record's content (checked like a push) and send it again")
    .action(async (scheme: string, record: string, o: ConnOptions & { file: string }) => {
      let content: unknown;
      try {
        content = JSON.parse(fs.readFileSync(o.file, 'utf8'));
      } catch (e) {
        throw new CliError(`--file ${o.file}: ${(e as Error).message}`);
      }
      const r = await callApi(o, 'PUT', `/api/schemes/${encodeURIComponent(scheme)}/records/${encodeURIComponent(record)}/content`, { content });
      process.stdout.write(`record ${r.id} (${r.sourceId}) updated; status ${r.statusName}\n`);
    });
}

function fail(id: string): never {
  throw new CliError(`record ids are numbers, got "${id}"`);
}
