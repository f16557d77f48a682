/**
 * Workspaces as files: the seed is valid; a broken one is refused with every problem as `file: json.path: reason`,
 * by the loader, by `qiao workspace check` and by `qiao serve`, never with a stack trace.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlatforms } from '../src/connectors/registry.ts';
import { loadWorkspace } from '../src/metadata/workspace.ts';
import { ROOT, SEED, seedWorkspace } from './helpers.ts';

const qiao = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/qiao.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, QIAO_LOG_LEVEL: 'warn' }, timeout: 30_000 });

function brokenWorkspace(): string {
  const dir = seedWorkspace();
  const w = (rel: string, data: unknown) => fs.writeFileSync(path.join(dir, rel), typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  w('connectors/broken.json', '{"name": "broken", ');
  w('connectors/erp.json', { name: 'erp', platform: 'sap-r3', env: 'production', params: {} });
  w('connectors/wdt-prod.json', { name: 'wdt-prod', platform: 'wdt', env: 'production', params: { sid: 'x', appkey: '${NOT_SET_ANYWHERE_QIAO}' } });
  const seed = JSON.parse(fs.readFileSync(path.join(SEED, 'schemes/seed.json'), 'utf8'));
  w('schemes/bad-api.json', { ...seed, id: 'bad-api', target: { ...seed.target, metadata: { ...seed.target.metadata, api: 'trade_pushh' } } });
  w('schemes/bad-conn.json', { ...seed, id: 'bad-conn', source: { ...seed.source, connector: 'nobody' } });
  const { name: _drop, ...noName } = seed;
  w('schemes/no-name.json', { ...noName, id: 'no-name' });
  return dir;
}

describe('workspace loader', () => {
  it('loads the seed workspace: two connectors, one app, the seed scheme', async () => {
    const { workspace, issues } = loadWorkspace(SEED, { platforms: await loadPlatforms(), env: { QIAO_URL: 'http://127.0.0.1:1' } });
    expect(issues).toEqual([]);
    expect(workspace!.schemes.map((s) => s.id)).toEqual(['seed']);
    expect(workspace!.connectors.get('wdt-sandbox')!.params.base_url).toBe('http://127.0.0.1:1/sandbox/wdt/openapi2/');
    expect(workspace!.settings.sandboxes).toEqual(['wdt']);
  });

  it('takes secrets from the environment', async () => {
    const { workspace } = loadWorkspace(SEED, { platforms: await loadPlatforms(), env: { QIAO_URL: 'http://x', WDT_APPSECRET: 'from-env' } });
    expect(workspace!.connectors.get('wdt-sandbox')!.params.appsecret).toBe('from-env');
  });

  it('lists every problem of a broken workspace with file and JSON path', async () => {
    const { workspace, issues } = loadWorkspace(brokenWorkspace(), { platforms: await loadPlatforms(), env: { QIAO_URL: 'http://x' } });
    expect(workspace).toBeUndefined();
    const lines = issues.map((i) => `${i.path}: ${i.message}`);
    const expectLine = (re: RegExp) => expect(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`).toBe(true);
    expectLine(/^connectors\/broken\.json: \(json\): not valid JSON/);
    expectLine(/^connectors\/erp\.json: platform: unknown platform "sap-r3"/);
    expectLine(/^connectors\/wdt-prod\.json: params\.appkey: environment variable NOT_SET_ANYWHERE_QIAO is not set/);
    expectLine(/^connectors\/wdt-prod\.json: params\.appsecret: required/);
    expectLine(/^schemes\/bad-api\.json: target\.metadata\.api: unknown API "trade_pushh"/);
    expectLine(/^schemes\/bad-conn\.json: source\.connector: unknown connector "nobody"/);
    expectLine(/^schemes\/no-name\.json: name: required/);
  });
});

describe('qiao workspace check / serve', () => {
  it('check passes on the seed and exits 0', () => {
    const r = qiao('workspace', 'check', 'examples/seed');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/valid: 1 scheme/);
  });

  it('check fails with exit 2 and one line per problem, no stack trace', () => {
    const r = qiao('workspace', 'check', brokenWorkspace());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/schemes\/bad-api\.json: target\.metadata\.api: unknown API/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('serve refuses a broken workspace the same way', () => {
    const r = qiao('serve', '--workspace', brokenWorkspace(), '--port', '0', '--data', path.join(seedWorkspace(), 'data'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/connectors\/erp\.json: platform: unknown platform/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
