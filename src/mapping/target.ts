/**
 * Target-side compiler: one source record → one target item (`request[]`) plus its call-level params
 * (`otherRequest[]`). Every parameter becomes a closure once; map() only runs closures.
 *
 * A parameter's value is, in order of precedence:
 *  - `_function <expr>`            MySQL-like expression (sql/)
 *  - `_findCollection find …`      lookup in another scheme's stored records (lookup.ts)
 *  - text with `{{…}}`             template; a lone `{{x}}` keeps the value's type
 *  - a plain string                fixed value — except for array/object params, where it names the source path
 *                                  (QEasy writes `"value": "details_list"` for line tables)
 *  - a JSON number/boolean/object  fixed value
 *  - nothing                       `describe: "_autoFillResponse"` → the same-named source field (inside the
 *                                  current line for children); otherwise the key is left out
 * then `map` (value map) → type coercion → `parser`.
 */
import { MappingError, ValidationError, type Issue } from '../errors.ts';
import type { MetadataDoc, MetaParam } from '../metadata/types.ts';
import { coercerFor, isKnownType, isMissing, kindOf, plain, type Coercer } from './coerce.ts';
import { newEnv, type CompileEnv } from './env.ts';
import { compileFindCollectionValue, isFindCollection } from './lookup.ts';
import { compileSource, FLAT_LINE, FLAT_SOURCE_ID } from './source.ts';
import { childKey, normaliseWithIssues } from './params.ts';
import { getParser, parserNames, type ParserSpec } from './parsers.ts';
import { compileGetter, isPlainObject, parsePath, setPath } from './path.ts';
import { Fail, PENDING, RC, type LookupEntry, type MapContext } from './runtime.ts';
import { compileFunctionValue, isFunctionValue } from './sql/index.ts';
import {
  compileTemplate, hasTemplate, parseTemplate, refsOf, ROOT_SCOPE, simpleRead, type Getter, type Scope,
} from './template.ts';
import { CANONICAL_DATETIME } from './time.ts';
import { compileValueMap, parseMapRef, type MapFn, type ValueMapDef } from './valuemap.ts';

export interface MappedRecord {
  item: Record<string, unknown>;
  call: Record<string, unknown>;
}

export interface CompiledTarget {
  /** true when the mapping contains _findCollection (then map() returns a Promise). */
  async: boolean;
  map(content: Record<string, unknown>, ctx?: MapContext): MappedRecord | Promise<MappedRecord>;
  /** Non-fatal remarks found at compile time (e.g. a template names a field the source metadata does not declare). */
  warnings: Issue[];
}

export interface CompileTargetOptions {
  source?: MetadataDoc;
  maps?: Record<string, ValueMapDef>;
  basePath?: string;
}

const AUTOFILL = '_autoFillResponse';

type Runner = (rc: RC, out: Record<string, unknown>) => void;

interface Plan {
  run: Runner;
}

const isAutofill = (p: MetaParam) => typeof p.describe === 'string' && p.describe.includes(AUTOFILL);

const isUnset = (v: unknown) => v === undefined || v === null || v === '';

const PATH_LIKE = /^[^\s{}'"`|()=<>,;]+$/;

function issuePath(base: string, rel: string): string {
  return base ? `${base}.${rel}` : rel;
}

/** Compile a target metadata document. Throws ValidationError listing every problem found. */
export function compileTarget(target: MetadataDoc, opts: CompileTargetOptions = {}): CompiledTarget {
  const base = opts.basePath ?? '';
  const env = newEnv(opts.maps ?? {});
  if (target === null || typeof target !== 'object') {
    throw new ValidationError([{ path: base || '(metadata)', message: 'metadata must be an object' }]);
  }
  const req = normaliseWithIssues(withFieldKeys(target), issuePath(base, 'request'));
  const other = normaliseWithIssues(callParams(target.otherRequest), issuePath(base, 'otherRequest'));
  env.issues.push(...req.issues, ...other.issues);

  const sourceFields = opts.source ? declaredFields(opts.source) : undefined;
  env.sourceFields = sourceFields;
  const c = new TargetCompiler(env, sourceFields);
  const itemPlans = c.level(req.params, ROOT_SCOPE, issuePath(base, 'request'), '', undefined);
  const callPlans = c.level(other.params, ROOT_SCOPE, issuePath(base, 'otherRequest'), 'call.', undefined);
  if (env.issues.length) throw new ValidationError(env.issues);

  const itemRunners = itemPlans.map((p) => p.run);
  const callRunners = callPlans.map((p) => p.run);

  const runOnce = (rc: RC): MappedRecord => {
    const item: Record<string, unknown> = {};
    for (let i = 0; i < itemRunners.length; i++) itemRunners[i]!(rc, item);
    const call: Record<string, unknown> = {};
    for (let i = 0; i < callRunners.length; i++) callRunners[i]!(rc, call);
    return { item, call };
  };

  const check = (content: unknown) => {
    if (!isPlainObject(content)) throw new ValidationError([{ path: '(record)', message: 'record content must be an object' }]);
  };

  if (!env.usesLookup) {
    return {
      async: false,
      warnings: env.warnings,
      map(content, ctx = {}) {
        check(content);
        const rc = new RC(ctx, content);
        const out = runOnce(rc);
        if (rc.issues) throw new ValidationError(rc.issues);
        return out;
      },
    };
  }

  return {
    async: true,
    warnings: env.warnings,
    async map(content, ctx = {}) {
      check(content);
      const lookups = new Map<string, LookupEntry>();
      // Evaluate, collecting the lookups still unanswered; wait for them; evaluate again. A pass that waited on
      // lookups saw placeholders, so its errors and results are discarded. Branches can reveal new lookups, so
      // this repeats (bounded).
      for (let pass = 0; pass < 8; pass++) {
        const rc = new RC(ctx, content);
        rc.lookups = lookups;
        rc.waiting = [];
        let out: MappedRecord | undefined;
        let err: unknown;
        try {
          out = runOnce(rc);
        } catch (e) {
          err = e;
        }
        if (rc.waiting.length === 0) {
          if (err) throw err;
          if (rc.issues) throw new ValidationError(rc.issues);
          return out!;
        }
        await Promise.all(rc.waiting);
      }
      throw new MappingError('(record)', 'lookups did not settle after 8 rounds');
    },
  };
}

/**
 * otherRequest minus source-side settings (`beatFlat`), so a source document can be compiled to build its query
 * params. The object form QEasy docs also show (`{"FormId": "X", "beatFlat": [...]}`) becomes fixed params.
 */
function callParams(other: unknown): unknown {
  if (Array.isArray(other)) {
    return other.filter((p) => !(p && typeof p === 'object' && ((p as MetaParam).field === 'beatFlat' || ((p as MetaParam).field === undefined && 'beatFlat' in p))));
  }
  if (other && typeof other === 'object') {
    return Object.entries(other as Record<string, unknown>).filter(([k]) => k !== 'beatFlat').map(([field, value]) => ({ field, value }));
  }
  return other;
}

/**
 * Kingdee ExecuteBillQuery (QEasy §3.2): on a QUERY document, a `FieldKeys` request param without a value is the
 * list of the response fields ("the response list doubles as the FieldKeys list").
 */
function withFieldKeys(doc: MetadataDoc): unknown {
  const req = doc.request;
  if (!Array.isArray(req) || String(doc.type ?? '').toUpperCase() !== 'QUERY' || !Array.isArray(doc.response)) return req;
  return req.map((p) => {
    if (!p || typeof p !== 'object' || p.field !== 'FieldKeys' || !isUnset(p.value)) return p;
    const keys = doc.response!.map((r) => r?.field).filter((f): f is string => typeof f === 'string' && f !== '');
    return { ...p, value: keys };
  });
}

function declaredFields(doc: MetadataDoc): Set<string> {
  const out = new Set<string>();
  const walk = (ps: MetaParam[], prefix: string) => {
    for (const p of ps) {
      if (typeof p.field !== 'string') continue;
      const full = prefix && !p.field.startsWith(prefix + '.') ? `${prefix}.${p.field}` : p.field;
      out.add(full);
      if (Array.isArray(p.children)) walk(p.children, full);
    }
  };
  const type = typeof doc.type === 'string' ? doc.type.toUpperCase() : '';
  const lists = type === 'QUERY' ? [doc.response] : [doc.request, doc.response];
  for (const l of lists) if (Array.isArray(l)) walk(normaliseWithIssues(l, '').params, '');
  // beatFlat rows carry line fields as <array>_<field>
  let flat: string[] = [];
  try {
    flat = compileSource(doc).beatFlat;
  } catch {
    /* the source's own problems are reported where it is compiled */
  }
  for (const arr of flat) {
    for (const f of [...out]) if (f.startsWith(`${arr}.`) && !f.slice(arr.length + 1).includes('.')) out.add(`${arr}_${f.slice(arr.length + 1)}`);
  }
  if (flat.length) out.add(FLAT_LINE).add(FLAT_SOURCE_ID);
  return out;
}

class TargetCompiler {
  constructor(private env: CompileEnv, private sourceFields: Set<string> | undefined) {}

  level(params: MetaParam[], scope: Scope, metaPath: string, dataPrefix: string, parentField: string | undefined): Plan[] {
    const plans: Plan[] = [];
    const seen = new Set<string>();
    params.forEach((p, i) => {
      const mp = `${metaPath}[${i}]`;
      const key = childKey(p.field, parentField);
      if (seen.has(key)) {
        this.env.issues.push({ path: `${mp}.field`, message: `duplicate field '${key}'` });
        return;
      }
      seen.add(key);
      const plan = this.param(p, key, scope, mp, dataPrefix);
      if (plan) plans.push(plan);
    });
    return plans;
  }

  private param(p: MetaParam, key: string, scope: Scope, mp: string, dataPrefix: string): Plan | undefined {
    const env = this.env;
    const before = env.issues.length;
    if (!isKnownType(p.type)) {
      env.issues.push({ path: `${mp}.type`, message: `unknown type '${String(p.type)}'` });
    }
    const keySegs = key.split('.');
    if (keySegs.some((s) => s === '')) env.issues.push({ path: `${mp}.field`, message: `bad field name '${p.field}'` });
    const dataPath = dataPrefix + key;
    const kind = kindOf(p.type);
    const children = Array.isArray(p.children) ? p.children : [];
    const required = isRequired(p.is_required);

    // value map
    let mapFn: MapFn | undefined;
    let mapExpr = '';
    if (p.map !== undefined && p.map !== null && p.map !== '') {
      if (typeof p.map !== 'string') env.issues.push({ path: `${mp}.map`, message: 'must be the name of a value map' });
      else {
        const { name, reverse } = parseMapRef(p.map);
        const def = env.maps[name];
        mapExpr = `map ${p.map}`;
        if (!def) env.issues.push({ path: `${mp}.map`, message: `unknown value map '${name}' (known: ${Object.keys(env.maps).join(', ') || 'none'})` });
        else mapFn = compileValueMap(def, reverse, (m) => env.issues.push({ path: `${mp}.map`, message: m }));
      }
    }

    // parser
    let parser: ((v: unknown) => unknown) | undefined;
    if (p.parser !== undefined && p.parser !== null) {
      const spec = p.parser as ParserSpec;
      if (typeof spec !== 'object' || typeof spec.name !== 'string') {
        env.issues.push({ path: `${mp}.parser`, message: 'must be {"name": …, "params": …}' });
      } else {
        const entry = getParser(spec.name);
        if (!entry) env.issues.push({ path: `${mp}.parser.name`, message: `unknown parser '${spec.name}' (known: ${parserNames().join(', ')})` });
        else {
          const bad = entry.validate?.(spec);
          if (bad) env.issues.push({ path: `${mp}.parser`, message: `${spec.name}: ${bad}` });
          const info = { field: key };
          parser = (v) => entry.fn(v, spec, info);
        }
      }
    }

    const structural = (kind === 'array' || kind === 'object') && children.length > 0;
    if (structural) {
      const plan = this.structural(p, key, keySegs, kind as 'array' | 'object', children, scope, mp, dataPath, required, parser);
      return env.issues.length > before ? undefined : plan;
    }

    const value = this.valueGetter(p, key, scope, mp, kind);
    const coerce = coercerFor(p.type, parser === undefined);
    if (env.issues.length > before || !value) return undefined;

    // Fixed values are coerced once here, so a bad constant is a compile error, not a per-record one.
    if (value.get === undefined && !mapFn) {
      let v: unknown;
      try {
        v = coerce(value.constant, new RC({}, {}));
        if (parser && v !== undefined) v = parser(v);
      } catch (e) {
        env.issues.push({ path: `${mp}.value`, message: e instanceof Error ? e.message : String(e) });
        return undefined;
      }
      const fixed = v;
      const isObj = fixed !== null && typeof fixed === 'object';
      const set = setter(keySegs);
      if (fixed === undefined) {
        return { run: required ? (rc) => rc.issue(dataPath, 'is required') : () => {} };
      }
      return { run: isObj ? (_rc, out) => set(out, structuredClone(fixed)) : (_rc, out) => set(out, fixed) };
    }

    const constant = value.constant;
    const get: Getter = value.get ?? (() => constant);
    const slow = scalarRunner(get, value.expr ?? '', mapFn, mapExpr, coerce, parser, required, dataPath, setter(keySegs));
    if (value.simple && !mapFn && !parser && keySegs.length === 1) {
      const fast = fastRunner(value.simple.depth, value.simple.key, keySegs[0]!, kind, required, slow);
      if (fast) return { run: fast };
    }
    return { run: slow };
  }

  /** Getter for a scalar (or opaque) param value, or a constant. */
  private valueGetter(
    p: MetaParam, key: string, scope: Scope, mp: string, kind: string,
  ): { get: Getter; expr: string; constant?: undefined; simple?: { depth: number; key: string } } | { constant: unknown; get?: undefined; expr?: undefined; simple?: undefined } | undefined {
    const env = this.env;
    const v = p.value;
    if (isUnset(v)) {
      if (isAutofill(p)) {
        const segs = parsePath(key);
        if (!segs) {
          env.issues.push({ path: `${mp}.field`, message: `bad field name '${p.field}'` });
          return undefined;
        }
        const g = compileGetter(segs);
        const d = scope.depth;
        this.lint(scope, key, mp);
        return { get: (rc) => g(rc.frames[d]), expr: `${AUTOFILL} ${key}`, simple: segs.length === 1 ? { depth: d, key } : undefined };
      }
      return { constant: undefined };
    }
    if (typeof v !== 'string') return { constant: v };
    if (isFunctionValue(v)) {
      const g = compileFunctionValue(v, scope, env, `${mp}.value`);
      return g ? { get: g, expr: v } : undefined;
    }
    if (isFindCollection(v)) {
      const g = compileFindCollectionValue(v, scope, env, `${mp}.value`);
      return g ? { get: g, expr: v } : undefined;
    }
    if (hasTemplate(v)) {
      const t = parseTemplate(v);
      if ('error' in t) {
        env.issues.push({ path: `${mp}.value`, message: t.error });
        return undefined;
      }
      for (const r of refsOf(t.parts)) if (!r.root) this.lint(scope, r.path, `${mp}.value`);
      return { get: compileTemplate(t.parts, scope), expr: v, simple: simpleRead(t.parts, scope) };
    }
    if ((kind === 'array' || kind === 'object') && PATH_LIKE.test(v)) {
      // QEasy names the source line table without braces: "value": "details_list".
      const t = parseTemplate(`{{${v}}}`);
      if (!('error' in t)) return { get: compileTemplate(t.parts, scope), expr: v };
    }
    return { constant: v };
  }

  private lint(scope: Scope, path: string, where: string): void {
    if (!this.sourceFields || this.sourceFields.size === 0) return;
    if (/^[A-Z][A-Z0-9_]*$/.test(path)) return;
    const candidates = [path];
    for (let d = scope.depth; d >= 1; d--) for (const pre of scope.prefixes[d] ?? []) if (pre) candidates.push(`${pre}.${path}`);
    if (!candidates.some((c) => this.sourceFields!.has(c) || this.sourceFields!.has(c.split('.')[0]!))) {
      this.env.warnings.push({ path: where, message: `source metadata does not declare '${path}'` });
    }
  }

  /** Array (line table) or object param with children. */
  private structural(
    p: MetaParam, key: string, keySegs: string[], kind: 'array' | 'object', children: MetaParam[], scope: Scope,
    mp: string, dataPath: string, required: boolean, parser: ((v: unknown) => unknown) | undefined,
  ): Plan | undefined {
    const env = this.env;
    const set = setter(keySegs);
    const v = p.value;
    // Where the element data comes from, and the names it can be referenced by.
    let source: Getter | undefined;
    let sourceNames: string[] = [];
    let expr = '';
    if (isUnset(v)) {
      if (isAutofill(p)) {
        const segs = parsePath(key)!;
        const g = compileGetter(segs);
        const d = scope.depth;
        source = (rc) => g(rc.frames[d]);
        sourceNames = [key];
        expr = `${AUTOFILL} ${key}`;
        this.lint(scope, key, mp);
      }
    } else if (typeof v === 'string') {
      expr = v;
      const single = /^\s*\{\{\s*([^{}|]+?)\s*\}\}\s*$/.exec(v);
      const path = single ? single[1]! : !hasTemplate(v) && !isFunctionValue(v) && !isFindCollection(v) && PATH_LIKE.test(v) ? v : undefined;
      if (path !== undefined) {
        const t = parseTemplate(`{{${path}}}`);
        if ('error' in t) {
          env.issues.push({ path: `${mp}.value`, message: t.error });
          return undefined;
        }
        source = compileTemplate(t.parts, scope);
        sourceNames = [path.startsWith('$root.') ? path.slice(6) : path];
        this.lint(scope, sourceNames[0]!, `${mp}.value`);
      } else {
        const got = this.valueGetter({ ...p, type: undefined }, key, scope, mp, 'any');
        if (!got) return undefined;
        if (got.constant !== undefined) {
          env.issues.push({ path: `${mp}.value`, message: `a ${p.type} with children needs a source path, got a fixed value` });
          return undefined;
        }
        source = got.get;
      }
    } else {
      env.issues.push({ path: `${mp}.value`, message: `a ${p.type} with children needs a source path, got ${JSON.stringify(v)}` });
      return undefined;
    }

    if (!source) {
      // No source: build one line / one object from the current scope.
      const plans = this.level(children, scope, `${mp}.children`, `${dataPath}${kind === 'array' ? '[0]' : ''}.`, p.field);
      const runners = plans.map((x) => x.run);
      return {
        run: (rc, out) => {
          const o: Record<string, unknown> = {};
          for (let i = 0; i < runners.length; i++) runners[i]!(rc, o);
          let res: unknown = o;
          if (kind === 'array') res = [o];
          else if (Object.keys(o).length === 0) res = undefined;
          if (res === undefined) {
            if (required) rc.issue(dataPath, 'is required');
            return;
          }
          if (parser) res = runParser(parser, res, dataPath, expr, rc);
          set(out, res);
        },
      };
    }

    // Names the element can be referenced by inside children: the source path as written, and prefixed with the
    // names of enclosing arrays (so `trade_list` and `order_list.trade_list` both work at depth 2).
    const depth = scope.depth + 1;
    const names = new Set<string>();
    for (const n of sourceNames) {
      names.add(n);
      for (const pre of scope.prefixes[scope.depth] ?? []) if (pre) names.add(`${pre}.${n}`);
    }
    const childScope: Scope = { depth, prefixes: [...scope.prefixes.slice(0, depth), [...names]] };
    const childData = kind === 'array' ? `${dataPath}[#].` : `${dataPath}.`;
    const plans = this.level(children, childScope, `${mp}.children`, childData, p.field);
    const runners = plans.map((x) => x.run);
    const nRun = runners.length;
    const get = source;

    const buildOne = (rc: RC, el: unknown): Record<string, unknown> => {
      rc.frames[depth] = el;
      const o: Record<string, unknown> = {};
      for (let i = 0; i < nRun; i++) runners[i]!(rc, o);
      return o;
    };

    if (kind === 'object') {
      return {
        run: (rc, out) => {
          let src: unknown;
          try {
            src = get(rc);
          } catch (e) {
            throw asMappingError(e, rc.fillPath(dataPath), expr);
          }
          if (src === undefined || src === null || src === '') {
            if (required) rc.issue(dataPath, 'is required');
            return;
          }
          if (!isPlainObject(src)) {
            rc.issue(dataPath, `expected an object, got ${describe(src)}`);
            return;
          }
          let res: unknown = buildOne(rc, src);
          rc.frames.length = depth;
          if (parser) res = runParser(parser, res, dataPath, expr, rc);
          set(out, res);
        },
      };
    }

    return {
      run: (rc, out) => {
        let src: unknown;
        try {
          src = get(rc);
        } catch (e) {
          throw asMappingError(e, rc.fillPath(dataPath), expr);
        }
        if (src === undefined || src === null || src === '') {
          if (required) rc.issue(dataPath, 'is required');
          return;
        }
        if (!Array.isArray(src)) {
          if (isPlainObject(src)) src = [src];
          else {
            rc.issue(dataPath, `expected a list, got ${describe(src)}`);
            return;
          }
        }
        const arr = src as unknown[];
        const n = arr.length;
        if (n === 0 && required) {
          rc.issue(dataPath, 'is required (empty list)');
          return;
        }
        const res: Record<string, unknown>[] = new Array(n);
        const idx = rc.idx;
        const slot = idx.length;
        idx.push(0);
        for (let i = 0; i < n; i++) {
          idx[slot] = i;
          res[i] = buildOne(rc, arr[i]);
        }
        idx.length = slot;
        rc.frames.length = depth;
        set(out, parser ? runParser(parser, res, dataPath, expr, rc) : res);
      },
    };
  }
}

function describe(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

function setter(keySegs: string[]): (out: Record<string, unknown>, v: unknown) => void {
  if (keySegs.length === 1) {
    const k = keySegs[0]!;
    return (out, v) => {
      out[k] = v;
    };
  }
  return (out, v) => setPath(out, keySegs, v);
}

function asMappingError(e: unknown, field: string, expr: string): Error {
  if (e instanceof MappingError || e instanceof ValidationError) return e;
  const reason = e instanceof Error ? e.message : String(e);
  return new MappingError(field, reason, expr || undefined);
}

function runParser(parser: (v: unknown) => unknown, v: unknown, dataPath: string, expr: string, rc: RC): unknown {
  try {
    return parser(v);
  } catch (e) {
    throw asMappingError(e, rc.fillPath(dataPath), expr);
  }
}

/**
 * Hot path for the most common parameter: a plain field read whose value is already what the type wants (text
 * for string, canonical date-time text for datetime, any JSON value when untyped). Everything else falls back to
 * the general runner, so behaviour is identical.
 */
function fastRunner(depth: number, srcKey: string, outKey: string, kind: string, required: boolean, slow: Runner): Runner | undefined {
  const read = (rc: RC): unknown => {
    const o = rc.frames[depth];
    return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[srcKey] : NOPE;
  };
  switch (kind) {
    case 'string':
      return (rc, out) => {
        const v = read(rc);
        if (typeof v === 'string' && (v !== '' || !required)) out[outKey] = v;
        else slow(rc, out);
      };
    case 'datetime':
      return (rc, out) => {
        const v = read(rc);
        if (typeof v === 'string' && CANONICAL_DATETIME.test(v) && !v.startsWith('0000')) out[outKey] = v;
        else slow(rc, out);
      };
    case 'any':
      return (rc, out) => {
        const v = read(rc);
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
          if (!required || v !== '') {
            out[outKey] = v;
            return;
          }
        }
        slow(rc, out);
      };
    default:
      return undefined;
  }
}

const NOPE = Symbol('not a plain read');

function scalarRunner(
  get: Getter, expr: string, mapFn: MapFn | undefined, mapExpr: string, coerce: Coercer,
  parser: ((v: unknown) => unknown) | undefined, required: boolean, dataPath: string,
  set: (out: Record<string, unknown>, v: unknown) => void,
): Runner {
  // The common case (plain field, no map/parser) gets a lean closure.
  if (!mapFn && !parser) {
    return (rc, out) => {
      let v: unknown;
      try {
        v = get(rc);
      } catch (e) {
        throw asMappingError(e, rc.fillPath(dataPath), expr);
      }
      if (v === PENDING) return;
      try {
        v = coerce(v, rc);
      } catch (e) {
        if (e instanceof Fail) {
          rc.issue(dataPath, e.message);
          return;
        }
        throw e;
      }
      if (v === undefined || (required && isMissing(v))) {
        if (required) rc.issue(dataPath, 'is required');
        return;
      }
      set(out, v);
    };
  }
  return (rc, out) => {
    let v: unknown;
    try {
      v = get(rc);
    } catch (e) {
      throw asMappingError(e, rc.fillPath(dataPath), expr);
    }
    if (v === PENDING) return;
    if (mapFn) {
      try {
        v = mapFn(plain(v));
      } catch (e) {
        throw asMappingError(e, rc.fillPath(dataPath), mapExpr);
      }
    }
    try {
      v = coerce(v, rc);
    } catch (e) {
      if (e instanceof Fail) {
        rc.issue(dataPath, e.message);
        return;
      }
      throw e;
    }
    if (v === undefined || (required && isMissing(v))) {
      if (required) rc.issue(dataPath, 'is required');
      return;
    }
    if (parser) v = runParser(parser, v, dataPath, expr, rc);
    set(out, v);
  };
}

/** is_required as QEasy exports write it: true, "true", 1 or "1". */
function isRequired(v: unknown): boolean {
  return v === true || v === 'true' || v === 1 || v === '1';
}
