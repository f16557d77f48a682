/** Connector checks shared by the API and the CLI: a test call, and params with secrets masked. */
import type { Platform } from '../connectors/types.ts';
import type { ConnectorDef } from '../metadata/types.ts';

export const MASK = '***';

/** Params as they may be shown: every secret param replaced by `***` (present) or omitted (absent). */
export function maskedParams(platform: Platform, params: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(platform.params.filter((p) => p.secret).map((p) => p.name));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = secret.has(k) && v !== undefined && v !== '' ? MASK : v;
  return out;
}

export async function testConnector(platform: Platform, conn: ConnectorDef): Promise<{ name: string; ok: boolean; message: string; durationMs?: number }> {
  if (!platform.connect) return { name: conn.name, ok: true, message: `platform ${platform.name} needs no connection` };
  const client = platform.connect({ name: conn.name, env: conn.env, params: conn.params });
  try {
    if (!client.test) return { name: conn.name, ok: true, message: 'this platform has no test call' };
    const r = await client.test();
    return { name: conn.name, ok: r.ok, message: r.message, durationMs: r.trace?.durationMs };
  } finally {
    await client.close();
  }
}
