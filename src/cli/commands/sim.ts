import fs from 'node:fs';
import type { Command } from 'commander';
import { startWdtSandbox, WDT_DEMO_ACCOUNT } from '../../connectors/wdt/index.ts';
import { CliError, intOption } from '../util.ts';

interface SimOptions {
  port: number;
  host: string;
  sid?: string;
  appkey?: string;
  appsecret?: string;
  accounts?: string;
  seed?: number;
}

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('run a platform simulator (sandbox) on its own');
  sim
    .command('wdt')
    .description('旺店通·企业版 openapi2 sandbox: signed APIs, state, fault injection (/_sim/faults)')
    .option('-p, --port <n>', 'port', intOption('port'), 8090)
    .option('-H, --host <host>', 'address to listen on', '127.0.0.1')
    .option('--sid <sid>', 'seller account (sid) to accept')
    .option('--appkey <key>', 'appkey to accept')
    .option('--appsecret <secret>', 'appsecret of that appkey')
    .option('--accounts <file>', 'JSON file: [{"sid","appkey","appsecret"}, …]')
    .option('--seed <n>', 'pre-load N demo orders over the last days', intOption('seed'))
    .action(async (o: SimOptions) => {
      const accounts = [];
      if (o.accounts) {
        let list: unknown;
        try {
          list = JSON.parse(fs.readFileSync(o.accounts, 'utf8'));
        } catch (e) {
          throw new CliError(`--accounts ${o.accounts}: ${(e as Error).message}`);
        }
        if (!Array.isArray(list)) throw new CliError(`--accounts ${o.accounts}: must be a JSON list of {sid, appkey, appsecret}`);
        accounts.push(...(list as Array<{ sid: string; appkey: string; appsecret: string }>));
      }
      if (o.sid || o.appkey || o.appsecret) {
        if (!(o.sid && o.appkey && o.appsecret)) throw new CliError('--sid, --appkey and --appsecret go together');
        accounts.push({ sid: o.sid, appkey: o.appkey, appsecret: o.appsecret });
      }
      const sandbox = await startWdtSandbox({ host: o.host, port: o.port, accounts: accounts.length ? accounts : undefined, seed: o.seed });
      const shown = accounts.length ? accounts : [WDT_DEMO_ACCOUNT];
      process.stdout.write(
        [
          `WDT sandbox listening: base_url ${sandbox.url}`,
          ...shown.map((a) => `  account sid=${a.sid} appkey=${a.appkey}${accounts.length ? '' : ` appsecret=${a.appsecret} (demo)`}`),
          `  inspect: GET ${sandbox.url}_sim/trades   faults: GET/PUT ${sandbox.url}_sim/faults`,
        ].join('\n') + '\n',
      );
      const stop = async () => {
        await sandbox.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
