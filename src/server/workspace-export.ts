/**
 * `qiao workspace export DIR` (and GET /api/workspace/export): the workspace as one folder again, so console users
 * and git users meet. Workspace files are copied as written (their `${VAR}`s intact); connectors, apps and schemes
 * made in the console are written as files beside them. Secrets never leave in clear: a console connector's secret
 * param becomes `${QIAO_<CONNECTOR>_<PARAM>}` and the list of such variables comes with the export.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Platform } from '../connectors/types.ts';
import type { ConfigStore } from '../store/sqlite/config-store.ts';

export interface WorkspaceExport {
  /** Relative path → file content. */
  files: Record<string, string>;
  /** Environment variables the exported files expect (the secrets left out). */
  env: Array<{ name: string; for: string }>;
  warnings: string[];
}

const SUBDIRS = ['connectors', 'apps', 'schemes', 'maps'];

export const secretVar = (owner: string, param: string) => `QIAO_${owner}_${param}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

const pretty = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export function buildWorkspaceExport(o: {
  workspaceDir: string;
  config: ConfigStore;
  platforms: Map<string, Platform>;
  /** Current started/stopped state of a scheme, when known (a running server's, or the store's switches). */
  enabledOf?: (id: string) => boolean | undefined;
}): WorkspaceExport {
  const files: Record<string, string> = {};
  const env: WorkspaceExport['env'] = [];
  const warnings: string[] = [];
  const ws = path.resolve(o.workspaceDir);
  if (fs.existsSync(path.join(ws, 'workspace.json'))) files['workspace.json'] = fs.readFileSync(path.join(ws, 'workspace.json'), 'utf8');
  const taken = { connectors: new Set<string>(), apps: new Set<string>(), schemes: new Set<string>() };
  for (const sub of SUBDIRS) {
    const dir = path.join(ws, sub);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      files[`${sub}/${f}`] = text;
      try {
        const data = JSON.parse(text) as Record<string, unknown>;
        if (sub === 'connectors' && typeof data.name === 'string') taken.connectors.add(data.name);
        if (sub === 'apps' && typeof data.app_key === 'string') taken.apps.add(data.app_key);
        if (sub === 'schemes' && typeof data.id === 'string') taken.schemes.add(data.id);
      } catch {
        // copied as is; `workspace check` reports it
      }
    }
  }

  for (const c of o.config.listConnectors()) {
    if (taken.connectors.has(c.name)) {
      warnings.push(`connector "${c.name}" exists both as a workspace file and in the console; the file is kept`);
      continue;
    }
    const rel = uniqueName(files, 'connectors', c.name);
    const params: Record<string, unknown> = { ...c.params };
    const secretNames = (o.platforms.get(c.platform)?.params ?? []).filter((p) => p.secret).map((p) => p.name);
    for (const k of new Set([...secretNames.filter((k) => c.secrets[k]), ...Object.keys(c.secrets)])) {
      const name = secretVar(c.name, k);
      params[k] = `\${${name}}`;
      env.push({ name, for: `connector ${c.name}: ${k}` });
    }
    files[rel] = pretty({ name: c.name, platform: c.platform, env: c.env, params, ...(c.limits ? { limits: c.limits } : {}) });
  }

  for (const a of o.config.listApps()) {
    if (taken.apps.has(a.appKey)) continue;
    const name = secretVar(a.appKey, 'secret');
    env.push({ name, for: `app ${a.appKey} (${a.name})` });
    files[uniqueName(files, 'apps', a.appKey)] = pretty({ app_key: a.appKey, app_secret: `\${${name}}`, scopes: a.scopes });
  }

  for (const s of o.config.listSchemes()) {
    if (taken.schemes.has(s.id)) {
      warnings.push(`scheme "${s.id}" exists both as a workspace file and in the console; the file is kept`);
      continue;
    }
    const enabled = o.enabledOf?.(s.id);
    files[uniqueName(files, 'schemes', s.id)] = pretty({ ...s.def, ...(enabled !== undefined ? { enabled } : {}) });
  }
  return { files, env, warnings };
}

function uniqueName(files: Record<string, string>, sub: string, base: string): string {
  const safe = base.replace(/[^A-Za-z0-9_.-]+/g, '_');
  let rel = `${sub}/${safe}.json`;
  for (let i = 2; rel in files; i++) rel = `${sub}/${safe}-${i}.json`;
  return rel;
}

/** Writes the export; refuses a non-empty folder unless `force` (then files are overwritten, others left alone). */
export function writeWorkspaceExport(dir: string, exp: WorkspaceExport, force = false): string[] {
  const out = path.resolve(dir);
  if (fs.existsSync(out) && fs.readdirSync(out).length && !force) throw new Error(`${dir} is not empty (use --force to write into it)`);
  const written: string[] = [];
  for (const [rel, text] of Object.entries(exp.files)) {
    const file = path.join(out, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    written.push(rel);
  }
  if (exp.env.length)
    fs.writeFileSync(
      path.join(out, 'secrets.env.example'),
      `# Secrets the exported files expect; set them before \`qiao serve\` (values are never exported).\n${exp.env.map((e) => `# ${e.for}\n${e.name}=`).join('\n')}\n`,
    );
  return written;
}
