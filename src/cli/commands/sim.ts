import type { Command } from 'commander';
import { parseSimArgs, SIM_USAGE, startWdtSandbox, validateFaults, WDT_DEMO_ACCOUNT } from '../../connectors/wdt/index.ts';
import { CliError } from '../util.ts';

export function registerSim(program: Command): void {
  const sim = program.command('sim').description('run a platform simulator (sandbox) on its own');
  sim
    .command('wdt')
    .description(`旺店通·企业版 openapi2 sandbox: signed APIs, state, fault injection (/_sim/faults)\n  ${SIM_USAGE}`)
    // The WDT connector owns its sandbox's options; the CLI only passes them through.
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]')
    .action(async (args: string[]) => {
      let o;
      try {
        o = parseSimArgs(args);
      } catch (e) {
        throw new CliError(`${(e as Error).message}\nusage: ${SIM_USAGE}`);
      }
      if (o.help) return void process.stdout.write(`usage: ${SIM_USAGE}\n`);
      if (o.faults) {
        const problems = validateFaults(o.faults);
        if (problems.length) throw new CliError(`--faults: ${problems.join('; ')}`);
      }
      const sandbox = await startWdtSandbox({ ...o, port: o.port ?? 8090 });
      const shown = o.accounts?.length ? o.accounts : [WDT_DEMO_ACCOUNT];
      process.stdout.write(
        [
          `WDT sandbox listening: base_url ${sandbox.url}`,
          ...shown.map((a) => `  account sid=${a.sid} appkey=${a.appkey}${o.accounts?.length ? '' : ` appsecret=${a.appsecret} (demo)`}`),
          ...(o.seed ? [`  seeded ${o.seed} orders`] : []),
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
