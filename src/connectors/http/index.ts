/**
 * Platform `http` (通用 HTTP/JSON 接口): any system with a JSON (or form) HTTP API. An API is named by its path,
 * `[METHOD] /path` relative to the connector's `base_url` (`POST /orders/batch`, `GET /orders`), so the catalogue
 * lists only the two generic entries and `resolveApi` accepts any path. See docs/connectors/http.md.
 */
import type { ApiSpec, ConnectorConfig, Platform } from '../types.ts';
import { AUTH_MODES, HMAC_ALGORITHMS, type AuthConfig, type AuthMode } from './auth.ts';
import { checkProblem } from './check.ts';
import { DEFAULT_BATCH_MAX, HttpClient, parseApiName } from './client.ts';
import { HttpSim, httpSandboxPlugin } from './sim.ts';

export { HttpClient, parseApiName, formEncode, type HttpClientOptions } from './client.ts';
export { compileCheck, getPath, parseJsonPath } from './check.ts';
export { authHeaders, hmacSign, verifyAuth, type AuthConfig, type AuthMode } from './auth.ts';
export { HttpSim, startHttpSandbox, httpSandboxPlugin, HTTP_DEMO_AUTH, type HttpSimOptions, type HttpSimFaults, type HttpSandboxHandle } from './sim.ts';

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export function authConfig(p: Record<string, unknown>): AuthConfig {
  return {
    mode: (str(p.auth) ?? 'none') as AuthMode,
    token: str(p.token),
    username: str(p.username),
    password: str(p.password),
    headerName: str(p.header_name),
    headerValue: str(p.header_value),
    hmacSecret: str(p.hmac_secret),
    hmacHeader: str(p.hmac_header),
    hmacAlgorithm: str(p.hmac_algorithm) as AuthConfig['hmacAlgorithm'],
    hmacEncoding: str(p.hmac_encoding) as AuthConfig['hmacEncoding'],
    hmacTimestampHeader: p.hmac_timestamp_header === undefined || p.hmac_timestamp_header === null ? undefined : String(p.hmac_timestamp_header),
  };
}

function headersParam(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const o = typeof v === 'string' ? JSON.parse(v) : v;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('not an object');
  return Object.fromEntries(Object.entries(o as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
}

function validateParams(p: Record<string, unknown>): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const base = str(p.base_url);
  if (!base) out.push({ path: 'params.base_url', message: 'required' });
  else {
    try {
      const u = new URL(base);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') out.push({ path: 'params.base_url', message: 'must be http(s)' });
      if (u.search || u.hash) out.push({ path: 'params.base_url', message: 'must not contain ? or #' });
    } catch {
      out.push({ path: 'params.base_url', message: `not a URL: ${base}` });
    }
  }
  const mode = str(p.auth) ?? 'none';
  if (!AUTH_MODES.includes(mode as AuthMode)) out.push({ path: 'params.auth', message: `one of ${AUTH_MODES.join(', ')}` });
  const need: Record<string, string[]> = { bearer: ['token'], basic: ['username', 'password'], header: ['header_value'], hmac: ['hmac_secret'] };
  for (const k of need[mode] ?? []) if (!str(p[k])) out.push({ path: `params.${k}`, message: `required for auth "${mode}"` });
  if (str(p.hmac_algorithm) && !HMAC_ALGORITHMS.includes(str(p.hmac_algorithm) as never))
    out.push({ path: 'params.hmac_algorithm', message: `one of ${HMAC_ALGORITHMS.join(', ')}` });
  if (str(p.hmac_encoding) && !['hex', 'base64'].includes(str(p.hmac_encoding)!)) out.push({ path: 'params.hmac_encoding', message: 'hex or base64' });
  if (str(p.body) && !['json', 'form'].includes(str(p.body)!)) out.push({ path: 'params.body', message: 'json or form' });
  for (const k of ['success', 'transient_check', 'rate_limit_check']) {
    const v = str(p[k]);
    const problem = v && checkProblem(v);
    if (problem) out.push({ path: `params.${k}`, message: `not a check like "$.code == 0": ${problem}` });
  }
  for (const k of ['batch_max', 'timeout_ms']) {
    const v = p[k];
    if (v === undefined || v === null || v === '') continue;
    const n = Number(v);
    const [min, max] = k === 'batch_max' ? [1, 10_000] : [100, 600_000];
    if (!Number.isInteger(n) || n < min || n > max) out.push({ path: `params.${k}`, message: `an integer between ${min} and ${max}` });
  }
  try {
    headersParam(p.headers);
  } catch {
    out.push({ path: 'params.headers', message: 'an object of header names to values (or its JSON text)' });
  }
  return out;
}

function resolveApi(name: string, params: Record<string, unknown>, use: 'source' | 'target'): ApiSpec | undefined {
  const parsed = parseApiName(name, use);
  if (!parsed) return undefined;
  const max = str(params.batch_max) ? Number(params.batch_max) : DEFAULT_BATCH_MAX;
  const key = params.items_key === undefined || params.items_key === null ? 'items' : String(params.items_key);
  if (use === 'target')
    return {
      name,
      label: `${parsed.method} ${parsed.path || '/'}`,
      direction: 'write',
      request: [],
      batch: { param: key || '(body)', max, ...(max === 1 ? { single: true } : {}) },
    };
  return { name, label: `${parsed.method} ${parsed.path || '/'}`, direction: 'query', request: [], query: { listKey: str(params.list_path) ?? 'data' } };
}

function connect(conn: ConnectorConfig): HttpClient {
  const p = conn.params;
  return new HttpClient({
    name: conn.name,
    baseUrl: String(p.base_url ?? ''),
    auth: authConfig(p),
    body: (str(p.body) ?? 'json') as 'json' | 'form',
    headers: headersParam(p.headers),
    success: str(p.success),
    transientCheck: str(p.transient_check),
    rateLimitCheck: str(p.rate_limit_check),
    messagePath: str(p.message_path),
    itemsKey: p.items_key === undefined || p.items_key === null ? undefined : String(p.items_key),
    batchMax: str(p.batch_max) ? Number(p.batch_max) : undefined,
    listPath: str(p.list_path),
    totalPath: str(p.total_path),
    timeoutMs: str(p.timeout_ms) ? Number(p.timeout_ms) : undefined,
  });
}

export const platform: Platform = {
  name: 'http',
  label: '通用 HTTP/JSON 接口',
  envs: { production: {}, test: {}, sandbox: {} },
  params: [
    { name: 'base_url', label: '接口地址', required: true, type: 'string', describe: 'API 根地址, 如 https://erp.example.com/api; API 名称是相对它的路径' },
    { name: 'auth', label: '认证方式', required: false, type: 'string', describe: 'none (默认) | bearer | basic | header | hmac' },
    { name: 'token', label: 'Bearer 令牌', required: false, secret: true, type: 'string', describe: 'auth=bearer: Authorization: Bearer <token>' },
    { name: 'username', label: '用户名', required: false, type: 'string', describe: 'auth=basic' },
    { name: 'password', label: '密码', required: false, secret: true, type: 'string', describe: 'auth=basic' },
    { name: 'header_name', label: '认证头名称', required: false, type: 'string', describe: 'auth=header: 默认 X-Api-Key' },
    { name: 'header_value', label: '认证头的值', required: false, secret: true, type: 'string', describe: 'auth=header' },
    { name: 'hmac_secret', label: 'HMAC 密钥', required: false, secret: true, type: 'string', describe: 'auth=hmac: 对 "<时间戳>.<请求体>" 签名' },
    { name: 'hmac_header', label: '签名头', required: false, type: 'string', describe: 'auth=hmac: 默认 X-Signature' },
    { name: 'hmac_timestamp_header', label: '时间戳头', required: false, type: 'string', describe: 'auth=hmac: 默认 X-Timestamp (Unix 秒); 设为空串则只对请求体签名' },
    { name: 'hmac_algorithm', label: 'HMAC 算法', required: false, type: 'string', describe: 'sha256 (默认) | sha1 | sha512 | md5' },
    { name: 'hmac_encoding', label: '签名编码', required: false, type: 'string', describe: 'hex (默认) | base64' },
    { name: 'body', label: '请求体格式', required: false, type: 'string', describe: 'json (默认) | form (application/x-www-form-urlencoded, 嵌套值为 JSON 文本)' },
    { name: 'headers', label: '附加请求头', required: false, type: 'string', describe: 'JSON 对象, 如 {"X-Tenant": "t1"}' },
    { name: 'success', label: '成功判断', required: false, type: 'string', describe: '如 $.code == 0 或 $.success == true; 不填则 HTTP 2xx 即成功' },
    { name: 'transient_check', label: '可重试判断', required: false, type: 'string', describe: '为真时按可重试错误处理, 如 $.code == 503' },
    { name: 'rate_limit_check', label: '限流判断', required: false, type: 'string', describe: '为真时按限流处理 (整个连接器退避), 如 $.code == 429' },
    { name: 'message_path', label: '错误信息位置', required: false, type: 'string', describe: '默认 $.message, $.msg, $.error' },
    { name: 'items_key', label: '批量数据字段', required: false, type: 'string', describe: '写入时承载多条数据的字段, 默认 items; 设为空串则请求体就是数据列表' },
    { name: 'batch_max', label: '每次最多条数', required: false, type: 'int', describe: `默认 ${DEFAULT_BATCH_MAX}; 1 表示每次一条, 数据与公共参数合并为请求体` },
    { name: 'list_path', label: '列表位置', required: false, type: 'string', describe: '查询时数据列表的位置, 如 $.data.list; 默认自动识别' },
    { name: 'total_path', label: '总数位置', required: false, type: 'string', describe: '查询时总条数的位置; 默认 $.total / $.total_count' },
    { name: 'timeout_ms', label: '超时(毫秒)', required: false, type: 'int', describe: '默认 30000' },
  ],
  catalogue: [
    {
      name: 'POST',
      label: '通用写入 (POST JSON)',
      direction: 'write',
      describe: '向 base_url 发送 POST; 其他路径写作 "POST /orders/batch" 或 "PUT /orders"',
      request: [],
      batch: { param: 'items', max: DEFAULT_BATCH_MAX },
    },
    {
      name: 'GET',
      label: '通用查询 (GET)',
      direction: 'query',
      describe: '向 base_url 发送 GET, 参数放在查询串; 其他路径写作 "GET /orders" 或 "POST /orders/search"',
      request: [],
      query: { listKey: 'data' },
    },
  ],
  resolveApi,
  validateParams,
  connect,
  sandboxBasePath: '',
  sandbox: async (app) => {
    await httpSandboxPlugin(app, { sim: new HttpSim({ auth: 'demo' }) });
  },
};
