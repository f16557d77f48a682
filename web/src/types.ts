export interface MetaParam {
  field: string;
  label?: string;
  type?: string;
  value?: unknown;
  describe?: string;
  is_required?: boolean | string | number;
  children?: MetaParam[];
  map?: string;
  [k: string]: unknown;
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
  [k: string]: unknown;
}

export interface SchemeSide {
  connector: string;
  metadata: MetadataDoc;
  schedule?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface SchemeDef {
  id: string;
  name: string;
  enabled?: boolean;
  source: SchemeSide;
  target: SchemeSide;
  options?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface User {
  id?: number;
  username: string;
  displayName?: string | null;
  role: 'admin' | 'operator' | 'viewer';
  disabled?: boolean;
  mustChangePassword?: boolean;
  lastLoginAt?: number | null;
  app?: boolean;
}

export interface ConnectorInfo {
  name: string;
  platform: string;
  platformLabel: string;
  env: string;
  params: Record<string, unknown>;
  secretsSet: string[];
  limits: Record<string, number> | null;
  origin: 'workspace' | 'console';
  readOnly: boolean;
  paused: boolean;
  breakerState: number;
  usedBy: string[];
  version: number | null;
}

export interface ParamSpec {
  name: string;
  label: string;
  required: boolean;
  secret?: boolean;
  type?: string;
  describe?: string;
}

export interface ApiSummary {
  name: string;
  label: string;
  direction: 'write' | 'query' | 'push';
  describe?: string;
  batch?: { param: string; max: number };
}

export interface PlatformInfo {
  name: string;
  label: string;
  envs: Record<string, { baseUrl?: string }>;
  params: ParamSpec[];
  sandbox: boolean;
  apis: ApiSummary[];
}

export interface ApiSpec extends ApiSummary {
  request: MetaParam[];
  otherRequest?: MetaParam[];
  response?: MetaParam[];
}

export interface SchemeListItem {
  id: string;
  name: string;
  enabled: boolean;
  running: boolean;
  origin: 'workspace' | 'console';
  source: { connector: string; api: string };
  target: { connector: string; api: string };
  counts: Record<string, number>;
}

export interface RecordRow {
  id: number;
  schemeId: string;
  sourceId: string;
  number: string | null;
  status: number;
  statusName: string;
  attempts: number;
  error: string | null;
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export const STATUSES = ['pending', 'queued', 'done', 'error', 'duplicate', 'ignored'] as const;
