/**
 * The CLI's client for a running server's management API: logs in with an app that has the admin scope
 * (--app-key/--app-secret or QIAO_APP_KEY/QIAO_APP_SECRET) and turns error answers into plain messages.
 */
import type { Command } from 'commander';
import { CliError } from './util.ts';

export interface ConnOptions {
  url: string;
  appKey?: string;
  appSecret?: string;
}

/** Adds --url, --app-key and --app-secret to a command. */
export function withConnection(c: Command): Command {
  return c
    .option('-u, --url <url>', 'server URL (env QIAO_URL)', process.env.QIAO_URL ?? 'http://127.0.0.1:8080')
    .option('--app-key <key>', 'app with the admin scope (env QIAO_APP_KEY)')
    .option('--app-secret <secret>', 'its secret (env QIAO_APP_SECRET)');
}

export async function callApi(o: ConnOptions, method: string, pathAndQuery: string, body?: unknown): Promise<any> {
  const key = o.appKey ?? process.env.QIAO_APP_KEY;
  const secret = o.appSecret ?? process.env.QIAO_APP_SECRET;
  if (!key || !secret) throw new CliError('give --app-key and --app-secret (or QIAO_APP_KEY / QIAO_APP_SECRET) of an app with the admin scope');
  let res: Response;
  try {
    res = await fetch(`${o.url}/v2/oauth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_key: key, app_secret: secret }),
    });
  } catch (e) {
    throw new CliError(`cannot reach ${o.url}: ${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message}`);
  }
  const auth = (await res.json()) as { access_token?: string; message?: string };
  if (!res.ok || !auth.access_token) throw new CliError(`login failed: ${auth.message ?? res.status}`);
  const r = await fetch(`${o.url}${pathAndQuery}`, {
    method,
    headers: { authorization: `Bearer ${auth.access_token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await r.json()) as { message?: string; issues?: Array<{ path: string; message: string }> };
  if (!r.ok) {
    const details = answer.issues?.map((i) => `\n  ${i.path}: ${i.message}`).join('') ?? '';
    throw new CliError(`${r.status}: ${answer.message ?? 'request failed'}${details}`);
  }
  return answer;
}
