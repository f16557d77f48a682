/** The simulator as its own HTTP server (`qiao sim wdt`, tests): the same plugin under `/openapi2`. */
import fs from 'node:fs';
import Fastify from 'fastify';
import { wdtSandboxPlugin } from './plugin.ts';
import { WdtSim, WDT_DEMO_ACCOUNT, type WdtAccount, type WdtSimOptions } from './sim.ts';
import type { FaultConfig } from './faults.ts';

export interface WdtSandboxOptions extends WdtSimOptions {
  host?: string;
  port?: number;
  /** Fastify request logging (off by default). */
  logger?: boolean;
}

export interface WdtSandboxHandle {
  /** Base URL ending in `/openapi2/`: use it as the connector's base_url. */
  url: string;
  port: number;
  /** The simulator itself: state, faults, stats, ship(), reset(). */
  state: WdtSim;
  close(): Promise<void>;
}

export async function startWdtSandbox(opts: WdtSandboxOptions = {}): Promise<WdtSandboxHandle> {
  const host = opts.host ?? '127.0.0.1';
  const sim = new WdtSim(opts);
  const app = Fastify({ logger: opts.logger ?? false, forceCloseConnections: true, bodyLimit: 32 * 1024 * 1024, keepAliveTimeout: 65_000 });
  await app.register(
    async (scope) => {
      await wdtSandboxPlugin(scope, { ...opts, sim });
    },
    { prefix: '/openapi2' },
  );
  await app.listen({ host, port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 0);
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${h}:${port}/openapi2/`,
    port,
    state: sim,
    close: () => app.close(),
  };
}

export interface SimArgs extends WdtSandboxOptions {
  help?: boolean;
}

/**
 * Parse `qiao sim wdt` arguments: `--port N --host H --sid S --appkey K --appsecret X --accounts FILE --seed N
 * --faults FILE --auto-ship`. `--sid/--appkey/--appsecret` replace the demo account (missing parts default to
 * it); `--accounts FILE` is a JSON list of {sid, appkey, appsecret}. Throws with a readable message on bad input.
 */
export function parseSimArgs(argv: string[], readFile: (p: string) => string = (p) => fs.readFileSync(p, 'utf8')): SimArgs {
  const out: SimArgs = {};
  const single: Partial<WdtAccount> = {};
  const need = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const int = (v: string, flag: string) => {
    if (!/^\d+$/.test(v)) throw new Error(`${flag} must be a non-negative integer, got ${v}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      const v = need(i, a);
      i++;
      return v;
    };
    switch (a) {
      case '--port': out.port = int(value(), a); break;
      case '--host': out.host = value(); break;
      case '--sid': single.sid = value(); break;
      case '--appkey': single.appkey = value(); break;
      case '--appsecret': single.appsecret = value(); break;
      case '--seed': out.seed = int(value(), a); break;
      case '--auto-ship': out.autoShip = true; break;
      case '--log': out.logger = true; break;
      case '--accounts': {
        const file = value();
        let list: unknown;
        try {
          list = JSON.parse(readFile(file));
        } catch (err) {
          throw new Error(`--accounts ${file}: ${(err as Error).message}`);
        }
        if (!Array.isArray(list) || list.some((x) => !x || typeof x.sid !== 'string' || typeof x.appkey !== 'string' || typeof x.appsecret !== 'string')) {
          throw new Error(`--accounts ${file}: expected a JSON list of {sid, appkey, appsecret}`);
        }
        out.accounts = [...(out.accounts ?? []), ...(list as WdtAccount[])];
        break;
      }
      case '--faults': {
        const file = value();
        try {
          out.faults = JSON.parse(readFile(file)) as FaultConfig;
        } catch (err) {
          throw new Error(`--faults ${file}: ${(err as Error).message}`);
        }
        break;
      }
      case '-h':
      case '--help': out.help = true; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (single.sid || single.appkey || single.appsecret) {
    out.accounts = [
      ...(out.accounts ?? []),
      { sid: single.sid ?? WDT_DEMO_ACCOUNT.sid, appkey: single.appkey ?? WDT_DEMO_ACCOUNT.appkey, appsecret: single.appsecret ?? WDT_DEMO_ACCOUNT.appsecret },
    ];
  }
  return out;
}

export const SIM_USAGE = `qiao sim wdt [--port N] [--host H] [--sid S --appkey K --appsecret X] [--accounts FILE] [--seed N] [--faults FILE] [--auto-ship] [--log]`;
