/**
 * JSON schemas shared by the management routes: they validate requests (Fastify/Ajv) and describe the API in the
 * OpenAPI document at /api/docs. Response schemas keep `additionalProperties: true`, so they document without
 * ever dropping a field from an answer.
 */
export const errorSchema = {
  type: 'object',
  description: 'Every error answer: `{code, error, message, issues?}`',
  properties: {
    code: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;

export const okObject = (description: string, properties: Record<string, unknown> = {}) => ({
  type: 'object',
  description,
  properties,
  additionalProperties: true,
});

/** The usual answers a management route may give besides its success. */
export const errors = {
  400: { ...errorSchema, description: 'invalid input; `issues` names each field and rule' },
  401: { ...errorSchema, description: 'not signed in / no valid admin token' },
  403: { ...errorSchema, description: 'role too low, CSRF token missing, or app lacks the admin scope' },
  404: { ...errorSchema, description: 'no such item' },
  409: { ...errorSchema, description: 'conflict: exists already, read-only (workspace file), in use, or changed meanwhile' },
} as const;

export const pick = <K extends keyof typeof errors>(...codes: K[]) => Object.fromEntries(codes.map((c) => [c, errors[c]])) as Pick<typeof errors, K>;

export const schemeIdParams = {
  type: 'object',
  required: ['schemeId'],
  properties: { schemeId: { type: 'string', description: 'scheme id (集成方案 ID)' } },
} as const;

export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', description: 'connector name' } },
} as const;

export const metadataDoc = {
  type: 'object',
  description: 'QEasy metadata document (api, type, method, id, number, idCheck, request[], otherRequest[], response[], …)',
  required: ['api'],
  properties: {
    api: { type: 'string' },
    type: { type: 'string' },
    method: { type: 'string' },
    id: { type: 'string' },
    number: { type: 'string' },
    request: { type: 'array', items: anyObject },
    otherRequest: { type: 'array', items: anyObject },
    response: { type: 'array', items: anyObject },
    otherResponse: { type: 'array', items: anyObject },
  },
  additionalProperties: true,
} as const;

export const schemeBody = {
  type: 'object',
  description: 'A scheme as in a workspace file schemes/<id>.json',
  required: ['id', 'name', 'source', 'target'],
  properties: {
    id: { type: 'string', description: '1-64 letters, digits, _ or - (part of the push URL)' },
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    source: { type: 'object', required: ['connector', 'metadata'], properties: { connector: { type: 'string' }, metadata: metadataDoc }, additionalProperties: true },
    target: { type: 'object', required: ['connector', 'metadata'], properties: { connector: { type: 'string' }, metadata: metadataDoc }, additionalProperties: true },
    options: anyObject,
  },
  additionalProperties: true,
} as const;

export const connectorBody = {
  type: 'object',
  required: ['platform', 'env'],
  properties: {
    name: { type: 'string', description: '1-64 letters, digits, _ or -' },
    platform: { type: 'string', description: 'platform name (wdt, qeasy, …)' },
    env: { type: 'string', description: 'environment (sandbox, production, …)' },
    params: { type: 'object', additionalProperties: true, description: 'platform params; secret params are write-only: leave out or send "***" to keep the stored value' },
    limits: { type: 'object', additionalProperties: true, description: '{qps, concurrency, breakerThreshold, breakerCooldownMs}' },
  },
  additionalProperties: false,
} as const;

/** Paging in query strings. */
export const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;
