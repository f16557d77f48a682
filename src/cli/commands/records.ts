import type { Command } from 'commander';
import { CliError, intOption } from '../util.ts';

interface ConnOptions {
  url: string;
  appKey?: string;
  appSecret?: string;
}

/** Talks to a running server's management API with an app that has the admin scope. */
async function api(o: ConnOptions, pathAndQuery: string): Promise<unknown> {
  const key = o.appKey ?? process.env.QIAO_APP_KEY;
  const secret = o.appSecret ?? process.env.QIAO_APP_SECRET;
  if (!key || !secret) throw new CliError('give --app-key and --app-secret (or QIAO_APP_KEY / QIAO_APP_SECRET) of an app with the admin scope');
  let res: Response;
  try {
    res = await fetch(`${o.url}/v2/oauth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_key: key, app_secret: secret }),
    });
  } catch (e) {
    throw new CliError(`cannot reach ${o.url}: ${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message}`);
  }
  const auth = (await res.json()) as { access_token?: string; message?: string };
  if (!res.ok || !auth.access_token) throw new CliError(`login failed: ${auth.message ?? res.status}`);
  const r = await fetch(`${o.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${auth.access_token}` } });
  const body = (await r.json()) as { message?: string; issues?: Array<{ path: string; message: string }> };
  if (!r.ok) {
    const details = body.issues?.map((i) => `\n  ${i.path}: ${i.message}`).join('') ?? '';
    throw new CliError(`${r.status}: ${body.message ?? 'request failed'}${details}`);
  }
  return body;
}

export function registerRecords(program: Command): void {
  const rec = program.command('records').description('records of a scheme on a running server');
  const conn = (c: Command) =>
    c
      .option('-u, --url <url>', 'server URL (env QIAO_URL)', process.env.QIAO_URL ?? 'http://127.0.0.1:8080')
      .option('--app-key <key>', 'app with the admin scope (env QIAO_APP_KEY)')
      .option('--app-secret <secret>', 'its secret (env QIAO_APP_SECRET)');

  conn(rec.command('list'))
    .argument('<scheme>', 'scheme id')
    .option('-s, --status <status>', 'pending|queued|done|error|duplicate|ignored or 0..5')
    .option('-l, --limit <n>', 'rows', intOption('limit'), 20)
    .option('-o, --offset <n>', 'skip rows', intOption('offset'), 0)
    .option('--json', 'print JSON')
    .action(async (scheme: string, o: ConnOptions & { status?: string; limit: number; offset: number; json?: boolean }) => {
      const q = new URLSearchParams({ limit: String(o.limit), offset: String(o.offset) });
      if (o.status) q.set('status', o.status);
      const res = (await api(o, `/api/schemes/${encodeURIComponent(scheme)}/records?${q}`)) as {
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
      const res = await api(o, `/api/schemes/${encodeURIComponent(scheme)}/records/${encodeURIComponent(record)}`);
      process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    });
}
