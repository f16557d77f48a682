import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { startQiao } from '../../server/index.ts';
import { asCliError, intOption } from '../util.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the server: open API (push), management API, dispatcher, mounted sandboxes')
    .option('-w, --workspace <dir>', 'workspace folder (schemes, connectors, apps)', 'examples/seed')
    .option('-d, --data <dir>', 'data folder for the embedded store', './data')
    .option('-p, --port <n>', 'port (env QIAO_PORT)', intOption('port'), Number(process.env.QIAO_PORT ?? 8080))
    .option('-H, --host <host>', 'address to listen on', process.env.QIAO_HOST ?? '127.0.0.1')
    .action(async (o: { workspace: string; data: string; port: number; host: string }) => {
      let q;
      try {
        q = await startQiao({ workspace: o.workspace, dataDir: o.data, port: o.port, host: o.host });
      } catch (e) {
        throw asCliError(e);
      }
      printBanner(q);
      const stop = async (signal: string) => {
        process.stdout.write(`\n${signal}: finishing in-flight work…\n`);
        await q.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}

type Running = Awaited<ReturnType<typeof startQiao>>;

/** What a new user needs to push a first order: URLs, the app key, and a curl line that works as printed. */
function printBanner(q: Running): void {
  const lines = [`Qiao is running at ${q.url}  (workspace ${q.workspace.dir})`];
  lines.push(`  console 控制台: ${q.url}/  (API doc: ${q.url}/api/docs)`);
  const first = q.console.firstAdmin;
  if (first?.password)
    lines.push(`  first admin: user "${first.username}", one-time password ${first.password}  (shown once; change it at first sign-in)`);
  else if (first) lines.push(`  first admin: user "${first.username}" with the password from QIAO_ADMIN_PASSWORD`);
  for (const name of q.workspace.settings.sandboxes) lines.push(`  sandbox ${name}: ${q.url}/sandbox/${name}/`);
  const app = q.workspace.apps.find((a) => a.scopes.includes('push'));
  const pushSchemes = q.workspace.schemes.filter((s) => s.source.metadata.api === 'OpenCallback');
  for (const s of pushSchemes) lines.push(`  push URL (${s.name}): ${q.url}/v2/open-api/business/${s.id}/store`);
  if (app) {
    lines.push(`  app key: ${app.app_key}  (get a token: POST ${q.url}/v2/oauth {"app_key","app_secret"})`);
    const scheme = pushSchemes[0];
    const sample = path.join(q.workspace.dir, 'sample-order.json');
    if (scheme && fs.existsSync(sample)) {
      // A freshly minted 2-hour token, so the line works as printed without showing the app secret.
      const { access_token } = q.tokens.issue(app);
      lines.push('', 'Push the sample order:');
      lines.push(
        `  curl -s -X POST '${q.url}/v2/open-api/business/${scheme.id}/store?access_token=${access_token}' -H 'Content-Type: application/json' --data-binary @${path.relative(process.cwd(), sample)}`,
      );
      lines.push('', 'Then look at it:');
      lines.push(`  curl -s '${q.url}/api/schemes/${scheme.id}/records?access_token=${access_token}'`);
      if (q.workspace.settings.sandboxes.includes('wdt')) lines.push(`  curl -s '${q.url}/sandbox/wdt/openapi2/_sim/trades'`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
