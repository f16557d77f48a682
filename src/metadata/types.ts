/**
 * QEasy metadata documents (元数据), the format each side of a scheme is described in.
 * See the QEasy reference §3: a document is `api, type, method, id, number, idCheck, request[], otherRequest[],
 * response[], otherResponse[]` plus optional source/target extras. We keep unknown keys so a QEasy export
 * round-trips unchanged.
 */

/** Field types QEasy uses, including its UI types (长日期时间 …). Unknown strings are rejected at load. */
export type FieldType =
  | 'string' | 'int' | 'float' | 'number' | 'boolean' | 'object' | 'array'
  | 'datetime' | 'date' | 'timestamp'
  | '长日期时间' | '短日期' | '时间戳秒' | '时间戳毫秒' | 'SQL语句' | '多行分录' | '子表对象';

export interface Parser {
  name: string;
  params?: unknown;
}

/** One parameter (request, otherRequest, response …). `children` nests; QEasy's flat `parent` form is normalised away at load. */
export interface MetaParam {
  field: string;
  label?: string;
  type?: string;
  /** A fixed value, `{{template}}`, `_function …`, `_findCollection …`, or null. */
  value?: unknown;
  describe?: string;
  is_required?: boolean;
  children?: MetaParam[];
  parent?: string | null;
  id?: string;
  parser?: Parser;
  /** Name of a value map (maps/<name>.json) applied to the value. */
  map?: string;
  [extra: string]: unknown;
}

export interface MetadataDoc {
  api: string;
  type?: string;
  method?: string;
  id?: string;
  number?: string;
  idCheck?: boolean | 'changed';
  request?: MetaParam[];
  otherRequest?: MetaParam[];
  response?: MetaParam[];
  otherResponse?: MetaParam[];
  condition?: unknown;
  beatFlat?: unknown;
  groupCalculate?: unknown;
  [extra: string]: unknown;
}

export interface SchemeSide {
  connector: string;
  metadata: MetadataDoc;
}

export interface SchemeOptions {
  /** Max records per target call (capped by the API's own maximum). */
  batchSize?: number;
  /** Retry ladder in seconds for transient failures (QEasy: 20, 300, 3600, 14400, 72000). */
  retryLadder?: number[];
  /** How many transient failures are retried before the record becomes an error. */
  maxRetries?: number;
  [extra: string]: unknown;
}

export interface SchemeDef {
  id: string;
  name: string;
  enabled: boolean;
  source: SchemeSide;
  target: SchemeSide;
  options: SchemeOptions;
}

export interface ConnectorDef {
  name: string;
  platform: string;
  env: string;
  params: Record<string, unknown>;
  /** Engine-side limits shared by every scheme using this connector. */
  limits?: ConnectorLimits;
}

export interface ConnectorLimits {
  /** Calls per second (token bucket); unlimited when absent. */
  qps?: number;
  /** Calls in flight at once (default 4). */
  concurrency?: number;
  /** Consecutive transient failures that open the circuit breaker (default 5). */
  breakerThreshold?: number;
  /** How long an open breaker waits before its probe call (default 10000 ms, doubling to 5 min). */
  breakerCooldownMs?: number;
}

export type AppScope = 'push' | 'admin';

export interface AppDef {
  name: string;
  app_key: string;
  app_secret: string;
  scopes: AppScope[];
}
