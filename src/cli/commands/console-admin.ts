/**
 * Console administration from the shell:
 *   qiao user add NAME [--role admin|operator|viewer] [--password-stdin]   (prints a generated password otherwise)
 *   qiao user passwd NAME [--password-stdin]                               reset a password (e.g. a lost admin one)
 *   qiao user list
 *   qiao keys status | qiao keys rotate                                    master key for secrets at rest
 *   qiao workspace export DIR [--data D --workspace W | --url U …]         files + console definitions
 * Commands with --data open the embedded store directly, so they run while `qiao serve` is stopped (the store is
 * owned by one process); `workspace export --url` asks a running server instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { hashPassword, passwordProblem, randomPassword } from '../../auth/passwords.ts';
import { ROLES, type Role } from '../../auth/roles.ts';
import { createUser } from '../../auth/users.ts';
import { loadPlatforms } from '../../connectors/registry.ts';
import { loadKeyRing } from '../../secrets/keyring.ts';
import { keyUsage, rotateKeys } from '../../secrets/rotate.ts';
import { HttpError } from '../../server/http-errors.ts';
import { buildWorkspaceExport, writeWorkspaceExport, type WorkspaceExport } from '../../server/workspace-export.ts';
import { ConfigStore } from '../../store/sqlite/config-store.ts';
import { SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { callApi, withConnection, type ConnOptions } from '../api-client.ts';
import { CliError } from '../util.ts';

class StoreInUse extends CliError {}

const dataOption = (c: Command) => c.option('-d, --data <dir>', 'data folder of the embedded store', './data');

async function withStore<T>(dataDir: string, fn: (store: SqliteStore, config: ConfigStore) => Promise<T>): Promise<T> {
  if (!fs.existsSync(dataDir)) fs.mkdirSync(dataDir, { recursive: true });
  let store: SqliteStore;
  try {
    store = new SqliteStore({ dataDir });
  } catch (e) {
    throw new StoreInUse(`${(e as Error).message}. Stop \`qiao serve\` first, or use the console (系统设置) while it runs.`);
  }
  try {
    return await fn(store, new ConfigStore(store.db));
  } catch (e) {
    if (e instanceof HttpError) throw new CliError(`${e.message}${e.issues?.map((i) => `\n  ${i.path}: ${i.message}`).join('') ?? ''}`);
    throw e;
  } finally {
    await store.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerConsoleAdmin(program: Command): void {
  const user = program.command('user').description('console users (run while `qiao serve` is stopped; use the console while it runs)');

  dataOption(user.command('add'))
    .argument('<name>', 'user name')
    .option('-r, --role <role>', `one of ${ROLES.join(', ')}`, 'admin')
    .option('--password-stdin', 'read the password from stdin (else a random one is generated and printed once)')
    .description('add a console user')
    .action(async (name: string, o: { data: string; role: string; passwordStdin?: boolean }) => {
      if (!ROLES.includes(o.role as Role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`);
      const given = o.passwordStdin ? await readStdin() : undefined;
      let password = given ?? randomPassword();
      while (!given && passwordProblem(password, name)) password = randomPassword();
      await withStore(o.data, async (_s, config) => {
        const u = await createUser(config, { username: name, password, role: o.role as Role, mustChangePassword: !given });
        config.audit('cli', 'user.create', u.username, { role: u.role });
      });
      process.stdout.write(`user ${name} (${o.role}) added${given ? '' : `; one-time password: ${password}  (to be changed at first sign-in)`}\n`);
    });

  dataOption(user.command('passwd'))
    .argument('<name>', 'user name')
    .option('--password-stdin', 'read the new password from stdin (else a random one-time password is printed)')
    .description("reset a user's password and sign them out everywhere")
    .action(async (name: string, o: { data: string; passwordStdin?: boolean }) => {
      const given = o.passwordStdin ? await readStdin() : undefined;
      let password = given ?? randomPassword();
      while (!given && passwordProblem(password, name)) password = randomPassword();
      const problem = passwordProblem(password, name);
      if (problem) throw new CliError(`password: ${problem}`);
      await withStore(o.data, async (_s, config) => {
        const u = config.findUserForLogin(name);
        if (!u) throw new CliError(`no user "${name}"`);
        config.updateUser(u.id, { passwordHash: await hashPassword(password), mustChangePassword: !given, disabled: false }, Date.now());
        config.deleteSessionsOf(u.id);
        config.audit('cli', 'user.passwd', u.username, null);
      });
      process.stdout.write(`password of ${name} reset${given ? '' : `; one-time password: ${password}`}\n`);
    });

  dataOption(user.command('list'))
    .description('list console users')
    .action(async (o: { data: string }) => {
      await withStore(o.data, async (_s, config) => {
        const users = config.listUsers();
        if (!users.length) process.stdout.write('no users yet (the first `qiao serve` creates admin and prints its one-time password)\n');
        for (const u of users)
          process.stdout.write(`${u.username.padEnd(20)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : 'active  '} last sign-in ${u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : '-'}\n`);
      });
    });

  const keys = program.command('keys').description('master key of secrets at rest (QIAO_MASTER_KEY or <data>/master.key)');
  dataOption(keys.command('status'))
    .description('which key is current and how many secrets each key seals')
    .action(async (o: { data: string }) => {
      await withStore(o.data, async (_s, config) => {
        const ring = loadKeyRing(o.data);
        process.stdout.write(`source: ${ring.source === 'env' ? 'QIAO_MASTER_KEY' : ring.file}\ncurrent key: ${ring.current.id}\n`);
        const usage = keyUsage(config);
        for (const [id, n] of Object.entries(usage)) process.stdout.write(`  ${id}: ${n} secret(s)${ring.has(id) ? '' : '  (key NOT available)'}\n`);
        if (!Object.keys(usage).length) process.stdout.write('  no secrets stored yet\n');
      });
    });

  dataOption(keys.command('rotate'))
    .description('re-encrypt every secret under a new key, then retire the old one (with QIAO_MASTER_KEY: set the new key, the old one in QIAO_MASTER_KEY_PREVIOUS)')
    .action(async (o: { data: string }) => {
      await withStore(o.data, async (_s, config) => {
        const { result } = rotateKeys(loadKeyRing(o.data), config);
        config.audit('cli', 'keys.rotate', result.to, result);
        process.stdout.write(
          `current key: ${result.to}; ${result.reencrypted} secret(s) re-encrypted${result.retired.length ? `; retired ${result.retired.join(', ')}` : ''}\n`,
        );
      });
    });

  const ws = program.commands.find((c) => c.name() === 'workspace') ?? program.command('workspace').description('work with workspace folders');
  withConnection(ws.command('export'))
    .argument('<dir>', 'folder to write (must be empty unless --force)')
    .option('-d, --data <dir>', 'data folder of the embedded store (read directly when no server holds it)', './data')
    .option('-w, --workspace <dir>', 'the workspace the server runs with', 'examples/seed')
    .option('--force', 'write into a non-empty folder')
    .description('write the workspace plus connectors, apps and schemes made in the console as one folder (secrets as ${VAR})')
    .action(async (dir: string, o: ConnOptions & { data: string; workspace: string; force?: boolean }) => {
      let exp: WorkspaceExport;
      try {
        const platforms = await loadPlatforms();
        exp = await withStore(o.data, async (store, config) => {
          const enabled = new Map<string, boolean>();
          for (const s of config.listSchemes()) {
            const st = await store.getState<{ enabled?: boolean }>(`scheme:${s.id}`);
            if (st?.enabled !== undefined) enabled.set(s.id, st.enabled);
          }
          return buildWorkspaceExport({ workspaceDir: o.workspace, config, platforms, enabledOf: (id) => enabled.get(id) });
        });
      } catch (e) {
        // A running server owns the store: ask it instead (needs an app with the admin scope).
        if (!(e instanceof StoreInUse)) throw e;
        if (!(o.appKey ?? process.env.QIAO_APP_KEY)) throw new CliError(`${e.message}\nOr export from the running server: add --url and --app-key/--app-secret of an admin app.`);
        exp = (await callApi(o, 'GET', '/api/workspace/export')) as WorkspaceExport;
      }
      let written: string[];
      try {
        written = writeWorkspaceExport(dir, exp, o.force);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      process.stdout.write(`wrote ${written.length} file(s) to ${path.resolve(dir)}\n`);
      for (const w of exp.warnings) process.stdout.write(`warning: ${w}\n`);
      if (exp.env.length)
        process.stdout.write(`secrets are not exported; set these before serving it (see secrets.env.example):\n${exp.env.map((e) => `  ${e.name}  (${e.for})`).join('\n')}\n`);
    });
}
