/**
 * Typed errors drive the engine's decisions, as BullMQ's error classes do:
 * - TransientError: the call may succeed later (network, timeout, 5xx, rate limit) → retry on the ladder.
 * - PermanentError: the target said no (business error) → record error, wait for a human.
 * - ValidationError: input is wrong; carries every problem with its field path and rule.
 */

export interface Issue {
  /** JSON path of the offending value, e.g. `order_list[0].oid` or `schemes/seed.json: target.metadata.api`. */
  path: string;
  message: string;
}

export class QiaoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class TransientError extends QiaoError {
  /** Trace of the failed call, secrets masked, when there was one. */
  trace?: unknown;
  /** Server asked us to slow down (rate limit); the connector backs off as a whole. */
  rateLimited = false;
  constructor(message: string, options?: { cause?: unknown; trace?: unknown; rateLimited?: boolean }) {
    super(message, options);
    this.trace = options?.trace;
    this.rateLimited = options?.rateLimited ?? false;
  }
}

export class PermanentError extends QiaoError {
  code?: string | number;
  trace?: unknown;
  constructor(message: string, options?: { cause?: unknown; code?: string | number; trace?: unknown }) {
    super(message, options);
    this.code = options?.code;
    this.trace = options?.trace;
  }
}

export class ValidationError extends QiaoError {
  issues: Issue[];
  constructor(issues: Issue[], message?: string) {
    super(message ?? issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

/** A mapping rule failed for one record: names the field, the expression and why (QEasy would pass raw text on). */
export class MappingError extends QiaoError {
  field: string;
  expression?: string;
  constructor(field: string, reason: string, expression?: string) {
    super(`${field}: ${reason}${expression ? ` (expression: ${expression})` : ''}`);
    this.field = field;
    this.expression = expression;
  }
}
