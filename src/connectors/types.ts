/**
 * The contract between the engine and a connector platform (接入平台). A platform lives in
 * `src/connectors/<name>/index.ts`, exports `platform: Platform`, and is found by the registry; nothing outside
 * its folder changes to add one.
 */
import type { FastifyInstance } from 'fastify';
import type { MetaParam } from '../metadata/types.ts';

/** One connector parameter (sid, appkey, appsecret …). Secrets are masked in traces, logs and exports. */
export interface ConnectorParamSpec {
  name: string;
  label: string;
  required: boolean;
  secret?: boolean;
  type?: 'string' | 'int' | 'boolean';
  describe?: string;
}

/** One API of a platform's catalogue (标准API库). */
export interface ApiSpec {
  name: string;
  label: string;
  /** write: a target API; query: a polled source; push: records are pushed in (OpenCallback). */
  direction: 'write' | 'query' | 'push';
  describe?: string;
  /** Field metadata of one item (for writes: one element of the batch list; for queries: the request). */
  request: MetaParam[];
  /** Call-level params (shop_no, switch …) shared by every item of one call. */
  otherRequest?: MetaParam[];
  response?: MetaParam[];
  /** For writes: the param carrying the items (trade_list …) and how many fit in one call. */
  batch?: { param: string; max: number; /** true: the param is one object, not a list (purchase_info) */ single?: boolean };
  /** For queries: list key in the response, window and page limits. */
  query?: { listKey: string; maxWindowMinutes?: number; pageSize?: { min: number; max: number; default: number }; firstPage?: number };
  limits?: Record<string, unknown>;
}

/** A call as it is kept in a record's trace: secrets masked, bodies cut to a sane length. */
export interface CallTrace {
  api: string;
  url: string;
  method: string;
  /** Request params as sent, with sign/appsecret/tokens masked. */
  request: Record<string, unknown>;
  status?: number;
  response?: string;
  durationMs: number;
  error?: string;
}

export interface WriteOutcome {
  /** The call as a whole was accepted. */
  ok: boolean;
  /** Business error text from the target (when !ok). */
  message?: string;
  code?: string | number;
  /** Partial failures by item index, when the target reports them per item. */
  itemErrors?: Map<number, string>;
  /** Parsed response body. */
  response: unknown;
  trace: CallTrace;
}

export interface QueryOutcome {
  rows: unknown[];
  total?: number;
  response: unknown;
  trace: CallTrace;
}

/** A live client for one connector. Throws TransientError for network/timeout/5xx/rate limits. */
export interface PlatformClient {
  write(api: string, callParams: Record<string, unknown>, items: unknown[]): Promise<WriteOutcome>;
  query?(api: string, params: Record<string, unknown>): Promise<QueryOutcome>;
  /** A harmless authenticated call proving credentials and clock work. */
  test?(): Promise<{ ok: boolean; message: string; trace?: CallTrace }>;
  close(): Promise<void>;
}

export interface ConnectorConfig {
  name: string;
  env: string;
  params: Record<string, unknown>;
}

export interface SandboxMountOptions {
  /** Accounts the sandbox accepts; none = its documented demo account. */
  accounts?: Array<{ sid: string; appkey: string; appsecret: string }>;
}

export interface Platform {
  name: string;
  label: string;
  /** Environments and their default base URLs. */
  envs: Record<string, { baseUrl?: string }>;
  params: ConnectorParamSpec[];
  catalogue: ApiSpec[];
  /**
   * For platforms whose APIs are open-ended (the generic `http` platform: any path), the spec of an API the
   * catalogue does not list, or undefined when `name` is not a valid API name. `params` are the connector's;
   * `use` says which side of a scheme asks (a source needs a query API, a target a write API).
   */
  resolveApi?(name: string, params: Record<string, unknown>, use: 'source' | 'target'): ApiSpec | undefined;
  /** Check params beyond required/secret flags; return problems as {path: 'params.x', message}. */
  validateParams?(params: Record<string, unknown>): Array<{ path: string; message: string }>;
  connect?(conn: ConnectorConfig): PlatformClient;
  /** Path under `/sandbox/<name>` where `serve` mounts the simulator (WDT: `/openapi2`, like the real server). */
  sandboxBasePath?: string;
  /** Mount the platform's simulator on a Fastify instance (inside a prefixed plugin). */
  sandbox?(app: FastifyInstance, opts: SandboxMountOptions): Promise<void> | void;
}
