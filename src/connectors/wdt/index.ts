/**
 * Platform `wdt` (旺店通·企业版, openapi2): catalogue, client and a faithful simulator.
 * See docs/connectors/wdt.md.
 */
import type { ConnectorConfig, Platform } from '../types.ts';
import { catalogue } from './catalogue.ts';
import { DEFAULT_RATE_LIMIT_CODES, DEFAULT_TRANSIENT_CODES, parseCodeList, WdtClient } from './client.ts';
import { wdtSandboxPlugin } from './sim/plugin.ts';
import type { WdtSimOptions } from './sim/sim.ts';

export { wdtSign, packParams, codePointLength } from './sign.ts';
export { WdtClient, encodeBusinessParams, type WdtClientOptions } from './client.ts';
export { catalogue, catalogueByName, type WdtApiSpec, type WdtParam } from './catalogue.ts';
export { WdtSim, WDT_DEMO_ACCOUNT, type WdtAccount, type WdtSimOptions } from './sim/sim.ts';
export { WDT_SIM_ERRORS, type SimErrorKind } from './sim/errors.ts';
export { validateFaults, type ApiFaults, type FaultConfig } from './sim/faults.ts';
export { DEFAULT_MASTER_DATA, type MasterData } from './sim/model.ts';
export { wdtSandboxPlugin } from './sim/plugin.ts';
export { startWdtSandbox, parseSimArgs, SIM_USAGE, type WdtSandboxOptions, type WdtSandboxHandle } from './sim/standalone.ts';

export const WDT_ENVS = {
  sandbox: { baseUrl: 'https://sandbox.wangdian.cn/openapi2/' },
  production: { baseUrl: 'https://api.wangdian.cn/openapi2/' },
};

function str(v: unknown): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function validateParams(params: Record<string, unknown>): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  for (const k of ['sid', 'appkey', 'appsecret']) {
    const v = params[k];
    if (v === undefined || v === null || String(v).trim() === '') out.push({ path: `params.${k}`, message: 'required' });
    else if (typeof v !== 'string') out.push({ path: `params.${k}`, message: 'must be a string' });
    else if (v !== v.trim()) out.push({ path: `params.${k}`, message: 'has leading or trailing spaces' });
  }
  const base = str(params.base_url);
  if (base !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(base);
    } catch {
      out.push({ path: 'params.base_url', message: `not a URL: ${base}` });
    }
    if (u && u.protocol !== 'http:' && u.protocol !== 'https:') out.push({ path: 'params.base_url', message: 'must be http(s)' });
    if (u && (u.search || u.hash)) out.push({ path: 'params.base_url', message: 'must not contain ? or #' });
  }
  const t = params.timeout_ms;
  if (t !== undefined && t !== null && t !== '') {
    const n = Number(t);
    if (!Number.isInteger(n) || n < 100 || n > 600_000) out.push({ path: 'params.timeout_ms', message: 'an integer between 100 and 600000' });
  }
  for (const k of ['transient_codes', 'rate_limit_codes']) {
    const v = params[k];
    if (v !== undefined && v !== null && typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))) {
      out.push({ path: `params.${k}`, message: 'a comma-separated string or a list of codes / message substrings' });
    }
  }
  return out;
}

function connect(conn: ConnectorConfig): WdtClient {
  const p = conn.params;
  const env = WDT_ENVS[conn.env as keyof typeof WDT_ENVS];
  const baseUrl = str(p.base_url) ?? env?.baseUrl;
  if (!baseUrl) throw new Error(`connector ${conn.name}: params.base_url is required for env ${conn.env}`);
  return new WdtClient({
    name: conn.name,
    baseUrl,
    sid: String(p.sid ?? ''),
    appkey: String(p.appkey ?? ''),
    appsecret: String(p.appsecret ?? ''),
    timeoutMs: str(p.timeout_ms) ? Number(p.timeout_ms) : 30_000,
    transientCodes: parseCodeList(p.transient_codes, DEFAULT_TRANSIENT_CODES),
    rateLimitCodes: parseCodeList(p.rate_limit_codes, DEFAULT_RATE_LIMIT_CODES),
  });
}

export const platform: Platform = {
  name: 'wdt',
  label: '旺店通·企业版',
  envs: WDT_ENVS,
  params: [
    { name: 'sid', label: '卖家账号', required: true, type: 'string', describe: '旺店通分配的卖家账号 (sid)' },
    { name: 'appkey', label: '接口账号', required: true, type: 'string', describe: '接口账号 (appkey); 测试环境店铺编号同接口账号' },
    { name: 'appsecret', label: '接口密钥', required: true, secret: true, type: 'string', describe: '用于签名, 不会出现在日志与调用记录中' },
    { name: 'base_url', label: '接口地址', required: false, type: 'string', describe: '以 /openapi2/ 结尾; 不填按环境: sandbox https://sandbox.wangdian.cn/openapi2/, production https://api.wangdian.cn/openapi2/' },
    { name: 'timeout_ms', label: '超时(毫秒)', required: false, type: 'int', describe: '单次调用超时, 默认 30000' },
    {
      name: 'transient_codes', label: '可重试错误码', required: false, type: 'string',
      describe: `逗号分隔的错误码或错误信息片段, 命中时按可重试错误处理; 默认 ${DEFAULT_TRANSIENT_CODES.join(',')}`,
    },
    {
      name: 'rate_limit_codes', label: '限流错误码', required: false, type: 'string',
      describe: `逗号分隔; 命中时按限流处理 (整个连接器退避); 默认 ${DEFAULT_RATE_LIMIT_CODES.join(',')}`,
    },
  ],
  catalogue,
  validateParams,
  connect,
  sandboxBasePath: '/openapi2',
  sandbox: async (app, opts) => {
    await wdtSandboxPlugin(app, opts as WdtSimOptions);
  },
};
