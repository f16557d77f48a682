import path from 'node:path';
import type { Command } from 'commander';
import { loadPlatforms } from '../../connectors/registry.ts';
import { loadWorkspace } from '../../metadata/workspace.ts';
import { CliError, formatIssues } from '../util.ts';

export function registerWorkspace(program: Command): void {
  const ws = program.command('workspace').description('work with workspace folders');
  ws.command('check')
    .argument('<dir>', 'workspace folder')
    .description('validate every file of a workspace; lists each problem as file: json.path: reason')
    .action(async (dir: string) => {
      const platforms = await loadPlatforms();
      // QIAO_URL is provided by `serve`; a check has no server, so a placeholder keeps such URLs valid.
      const env = { QIAO_URL: 'http://127.0.0.1:8080', ...process.env };
      const { workspace, issues } = loadWorkspace(path.resolve(dir), { platforms, env });
      if (!workspace) throw new CliError(`workspace ${dir} has ${issues.length} problem(s):\n${formatIssues(issues)}`, 2);
      process.stdout.write(
        `workspace ${dir} is valid: ${workspace.schemes.length} scheme(s), ${workspace.connectors.size} connector(s), ${workspace.apps.length} app(s)\n`,
      );
    });
}
