/**
 * The `qiao` command. Sub-commands live in ./commands; each registers itself on the program.
 */
import { Command } from 'commander';
import { registerServe } from './commands/serve.ts';
import { registerWorkspace } from './commands/workspace.ts';
import { registerSim } from './commands/sim.ts';
import { registerRecords } from './commands/records.ts';
import { registerCatalogue, registerConnector } from './commands/catalogue.ts';
import { registerScheme } from './commands/scheme.ts';
import { registerSchemeRun } from './commands/scheme-run.ts';
import { registerConsoleAdmin } from './commands/console-admin.ts';
import { CliError } from './util.ts';

const program = new Command('qiao')
  .description('Qiao (桥): data integration for 旺店通, 金蝶, 用友 and shops')
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

registerServe(program);
registerWorkspace(program);
registerSim(program);
registerRecords(program);
registerCatalogue(program);
registerConnector(program);
registerSchemeRun(registerScheme(program));
registerConsoleAdmin(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CliError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(e.exitCode);
  }
  throw e;
}
