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
  /** 请求定时 (source: SourceSchedule) / 执行定时 (target: SideSchedule). See docs/scheduling.md. */
  schedule?: SourceSchedule | SideSchedule;
}

/** Another scheme this side waits for (执行条件) or is started by (上游触发方案). */
export interface SchemeRef {
  scheme: string;
  /** For triggers: `stored` (default) when the upstream scheme stored new records, `done` when it delivered some. */
  on?: 'stored' | 'done';
}

/** When one side of a scheme runs. Either side may have one; a side without one runs continuously (target) or on demand (source). */
export interface SideSchedule {
  /** croner expression, 5 fields (minute …) or 6 (second …), e.g. `*\/5 * * * *`. */
  cron?: string;
  /** Time zone of the cron expression and of wall-clock times below (default Asia/Shanghai). */
  timezone?: string;
  /** The cron does not fire before this time (开始执行时间). */
  startAt?: string;
  /** Also run once when the server starts. */
  runOnStart?: boolean;
  /** 执行条件: these schemes must have run and be idle before a run starts. */
  requires?: Array<string | SchemeRef>;
  /** 上游触发方案: run as soon as one of these schemes stored (or delivered) new records. */
  triggeredBy?: Array<string | SchemeRef>;
}

/** Source (请求) side of a polled scheme: the schedule plus how windows and pages are read. */
export interface SourceSchedule extends SideSchedule {
  /** LAST_SYNC_TIME before the first run: a wall-clock time, ISO time, or relative `-3d` / `-12h` / `-30m`. */
  startTime?: string;
  /** Each window starts this long before LAST_SYNC_TIME, to catch late commits (default 10). */
  overlapMinutes?: number;
  /** Each window ends this long before now (default 0). */
  lagSeconds?: number;
  /** Split windows into at most this span (default and upper bound: the API's maximum from the catalogue). */
  maxWindowMinutes?: number;
  pagination?: PaginationOptions;
  /** List-then-detail: a second API called per listed row (QEasy fetch_list → get_detail). */
  detail?: DetailOptions;
  /** Seconds between attempts of a failed page (default 5, 30, 120, 600, 1800; the last repeats). */
  retryLadder?: number[];
  /** Re-reads of a window whose total count changed during paging before it is split in halves (default 3). */
  maxRereads?: number;
}

export interface PaginationOptions {
  /** page (page number), offset (start row), cursor (next token) or none; default from the metadata's PAGINATION_* variables or the catalogue. */
  style?: 'page' | 'offset' | 'cursor' | 'none';
  /** Rows per page (default: the API's maximum, else 100). */
  pageSize?: number;
  /** Number of the first page (WDT 0; default from the catalogue, else 1). */
  firstPage?: number;
  /** Params the engine sets when the metadata does not use PAGINATION_* variables. */
  pageParam?: string;
  sizeParam?: string;
  offsetParam?: string;
  cursorParam?: string;
  /** Where the next token is in the answer (cursor style; default next_cursor / next_token / nextToken / cursor). */
  cursorPath?: string;
  /** Where the total count is (default: what the connector reports, e.g. WDT total_count). */
  totalPath?: string;
  /** Safety stop per window chunk (default 100000). */
  maxPages?: number;
}

export interface DetailOptions {
  /** Query API of the same connector, called once per listed row. */
  api: string;
  /** Its params, QEasy parameter items whose values are templates over the listed row (`{{stockout_no}}`). */
  request: MetaParam[];
  /** Where the detail row is in the answer (default: the connector's first row, else `data`). */
  rowPath?: string;
  /** true (default): detail fields overlay the listed row; false: the detail row replaces it. */
  merge?: boolean;
  /** Detail calls in flight at once per page (default 4; the connector's limits still apply). */
  concurrency?: number;
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
  /** IANA time zone the connector's system speaks (default Asia/Shanghai): used for its dates and times. */
  timezone?: string;
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
