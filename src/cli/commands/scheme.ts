import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadPlatforms } from '../../connectors/registry.ts';
import { inferFields, mergeFields } from '../../mapping/infer.ts';
import { suggestMappings } from '../../mapping/suggest.ts';
import { previewScheme } from '../../mapping/preview.ts';
import type { MetaParam, SchemeDef } from '../../metadata/types.ts';
import { loadWorkspace } from '../../metadata/workspace.ts';
import { callApi, withConnection, type ConnOptions } from '../api-client.ts';
import { asCliError, CliError, formatIssues } from '../util.ts';

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${what} ${file}: ${(e as Error).message}`);
  }
}

/** A pushed body `{"content": [...]}`, a list of records, or one record. */
function samplesOf(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object' && Array.isArray((data as { content?: unknown }).content)) return (data as { content: unknown[] }).content;
  return [data];
}

/** Paths of target fields with no value that are not autofilled: the ones a mapping suggestion can help with. */
function openFields(params: MetaParam[], parent = ''): string[] {
  const out: string[] = [];
  for (const p of params) {
    const name = p.field.includes('.') || !parent ? p.field : `${parent}.${p.field}`;
    if (p.children?.length) out.push(...openFields(p.children, name));
    else if ((p.value === undefined || p.value === null || p.value === '') && p.describe !== '_autoFillResponse') out.push(name);
  }
  return out;
}

/** `qiao scheme …`: returns the command group so other modules can add sub-commands to it. */
export function registerScheme(program: Command): Command {
  const scheme = program.command('scheme').description('integration schemes (集成方案)');

  for (const action of ['start', 'stop'] as const)
    withConnection(scheme.command(action))
      .argument('<scheme>', 'scheme id')
      .description(action === 'start' ? 'start dispatching (启动)' : 'stop dispatching; pushes are still accepted (停止)')
      .action(async (id: string, o: ConnOptions) => {
        const r = await callApi(o, 'POST', `/api/schemes/${encodeURIComponent(id)}/${action}`);
        process.stdout.write(`scheme ${r.id}: ${r.running ? 'running' : 'stopped'}\n`);
      });

  scheme
    .command('infer')
    .argument('<sample>', 'JSON file: one record, a list, or a push body {"content": [...]}')
    .option('--into <scheme-file>', 'merge the fields into this scheme file (existing definitions are kept)')
    .option('--side <side>', 'source or target side of --into', 'source')
    .description('field definitions from a sample payload, as QEasy generates them (labels = names, _autoFillResponse)')
    .action((sample: string, o: { into?: string; side: string }) => {
      const fields = inferFields(samplesOf(readJson(sample, 'sample')));
      if (!o.into) return void process.stdout.write(`${JSON.stringify(fields, null, 2)}\n`);
      if (o.side !== 'source' && o.side !== 'target') throw new CliError('--side is source or target');
      const def = readJson(o.into, 'scheme') as SchemeDef;
      const md = def?.[o.side]?.metadata;
      if (!md) throw new CliError(`${o.into}: no ${o.side}.metadata`);
      // Pushes describe their records in request[]; polled sources in response[]; targets in request[].
      const key = o.side === 'source' && md.api !== 'OpenCallback' ? 'response' : 'request';
      const before = (md[key] as MetaParam[] | undefined) ?? [];
      md[key] = mergeFields(before, fields);
      fs.writeFileSync(o.into, `${JSON.stringify(def, null, 2)}\n`);
      process.stdout.write(`${o.into}: ${o.side}.metadata.${key} now has ${(md[key] as MetaParam[]).length} top-level field(s) (was ${before.length})\n`);
      // Suggestions for target fields that have no rule yet (no value, not autofilled); the user decides.
      const target = def.target?.metadata?.request ?? [];
      const source = def.source?.metadata?.[def.source?.metadata?.api === 'OpenCallback' ? 'request' : 'response'] ?? [];
      const open = new Set(openFields(target));
      const hints = suggestMappings(target, source).filter((h) => open.has(h.target));
      if (hints.length) {
        process.stdout.write('mapping suggestions for target fields without a rule:\n');
        for (const h of hints) process.stdout.write(`  ${h.target.padEnd(28)} ← {{${h.source}}}  (${h.score}, ${h.reason})\n`);
      }
    });

  scheme
    .command('preview')
    .argument('<scheme>', 'scheme id in the workspace, or a scheme JSON file')
    .argument('<sample>', 'JSON file: one record, a list, or a push body {"content": [...]}')
    .option('-w, --workspace <dir>', 'workspace folder (value maps, and the scheme when given by id)', 'examples/seed')
    .description('dry run: the exact target request(s) the sample would produce, batching included, with every error')
    .action(async (schemeArg: string, sample: string, o: { workspace: string }) => {
      let def: SchemeDef | undefined;
      let maps = {};
      const platforms = await loadPlatforms();
      const { workspace, issues } = loadWorkspace(path.resolve(o.workspace), { platforms, env: { QIAO_URL: 'http://127.0.0.1:8080', ...process.env } });
      if (workspace) maps = workspace.maps;
      if (schemeArg.endsWith('.json') && fs.existsSync(schemeArg)) def = readJson(schemeArg, 'scheme') as SchemeDef;
      else {
        if (!workspace) throw new CliError(`workspace ${o.workspace} has ${issues.length} problem(s):\n${formatIssues(issues)}`, 2);
        def = workspace.schemes.find((s) => s.id === schemeArg);
        if (!def) throw new CliError(`no scheme "${schemeArg}" in ${o.workspace} (have: ${workspace.schemes.map((s) => s.id).join(', ')})`);
      }
      try {
        const r = await previewScheme({ source: def.source.metadata, target: def.target.metadata, options: def.options, maps }, samplesOf(readJson(sample, 'sample')));
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        if (r.errors.length) process.exitCode = 1;
      } catch (e) {
        throw asCliError(e);
      }
    });
  return scheme;
}
