import path from 'node:path';
import type { Command } from 'commander';
import { loadPlatforms } from '../../connectors/registry.ts';
import type { MetaParam } from '../../metadata/types.ts';
import { loadWorkspace } from '../../metadata/workspace.ts';
import { testConnector } from '../../engine/connector-check.ts';
import { callApi, withConnection, type ConnOptions } from '../api-client.ts';
import { CliError, formatIssues } from '../util.ts';

/** One row per field, children indented under their list, like the seed page's tables. */
function fieldRows(params: MetaParam[], depth = 0): string[] {
  const rows: string[] = [];
  for (const p of params) {
    const name = `${'  '.repeat(depth)}${p.field}`;
    rows.push(
      `${name.padEnd(28)} ${(p.label ?? '').padEnd(14)} ${(p.type ?? 'string').padEnd(9)} ${p.is_required ? '必填' : '    '}  ${p.describe ?? ''}`.trimEnd(),
    );
    if (p.children?.length) rows.push(...fieldRows(p.children, depth + 1));
  }
  return rows;
}

export function registerCatalogue(program: Command): void {
  program
    .command('catalogue')
    .argument('<platform>', 'platform name, e.g. wdt')
    .argument('[api]', 'one API, e.g. trade_push')
    .option('--json', 'print JSON')
    .description("a platform's API catalogue (标准API库), or one API's field tables")
    .action(async (platformName: string, apiName: string | undefined, o: { json?: boolean }) => {
      const platforms = await loadPlatforms();
      const p = platforms.get(platformName);
      if (!p) throw new CliError(`unknown platform "${platformName}" (known: ${[...platforms.keys()].join(', ')})`);
      if (!apiName) {
        if (o.json) return void process.stdout.write(`${JSON.stringify(p.catalogue.map(({ name, label, direction, batch, query }) => ({ name, label, direction, batch, query })), null, 2)}\n`);
        process.stdout.write(`${p.label} (${p.name}): ${p.catalogue.length} APIs\n`);
        for (const a of p.catalogue) {
          const w = a.query?.maxWindowMinutes;
          const window = w === undefined ? '' : w >= 1440 ? `window ≤ ${w / 1440} days` : `window ≤ ${w} min`;
          const extra = a.batch ? `batch ${a.batch.param} ≤ ${a.batch.max}` : window;
          process.stdout.write(`  ${a.name.padEnd(28)} ${a.direction.padEnd(6)} ${a.label}  ${extra}\n`);
        }
        return;
      }
      const a = p.catalogue.find((x) => x.name === apiName);
      if (!a) throw new CliError(`platform ${platformName} has no API "${apiName}" (see: qiao catalogue ${platformName})`);
      if (o.json) return void process.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
      const out = [`${a.name}  ${a.label}  (${a.direction})`, a.describe ?? ''];
      if (a.otherRequest?.length) out.push('', '调用参数 (call-level):', ...fieldRows(a.otherRequest));
      out.push('', a.direction === 'write' ? `请求参数 (one item of ${a.batch?.param ?? 'the call'}):` : '请求参数:', ...fieldRows(a.request));
      if (a.response?.length) out.push('', '响应参数:', ...fieldRows(a.response));
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

export function registerConnector(program: Command): void {
  const c = program.command('connector').description('connectors of a workspace');
  c.command('test')
    .argument('<name>', 'connector name')
    .option('-w, --workspace <dir>', 'workspace folder', 'examples/seed')
    .option('--url <url>', 'QIAO_URL to assume for ${QIAO_URL} (a running server with a mounted sandbox)', process.env.QIAO_URL ?? 'http://127.0.0.1:8080')
    .description('a harmless signed call proving credentials and clock work')
    .action(async (name: string, o: { workspace: string; url: string }) => {
      const platforms = await loadPlatforms();
      const { workspace, issues } = loadWorkspace(path.resolve(o.workspace), { platforms, env: { ...process.env, QIAO_URL: o.url } });
      if (!workspace) throw new CliError(`workspace ${o.workspace} has ${issues.length} problem(s):\n${formatIssues(issues)}`, 2);
      const conn = workspace.connectors.get(name);
      if (!conn) throw new CliError(`no connector "${name}" in ${o.workspace} (have: ${[...workspace.connectors.keys()].join(', ')})`);
      const r = await testConnector(platforms.get(conn.platform)!, conn);
      process.stdout.write(`${r.ok ? 'OK' : 'FAILED'}  ${name}: ${r.message}${r.durationMs !== undefined ? ` (${Math.round(r.durationMs)} ms)` : ''}\n`);
      if (!r.ok) process.exitCode = 1;
    });

  for (const action of ['pause', 'resume'] as const)
    withConnection(c.command(action))
      .argument('<name>', 'target connector name')
      .description(action === 'pause' ? 'hold every record written through this connector (persisted)' : 'send again through this connector')
      .action(async (name: string, o: ConnOptions) => {
        const r = await callApi(o, 'POST', `/api/connectors/${encodeURIComponent(name)}/${action}`);
        process.stdout.write(`connector ${r.name}: ${r.paused ? 'paused' : 'running'}\n`);
      });
}
