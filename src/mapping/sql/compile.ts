/**
 * `_function <expr>` compiler: the expression is parsed once as `SELECT <expr>` with node-sql-parser (MySQL
 * dialect) and the AST is turned into closures evaluated per record. Nothing is ever eval'd; record values enter
 * only as bound parameters.
 *
 * node-sql-parser 5.x groups `a AND b OR c` as `a AND (b OR c)`; unparenthesised AND/OR/XOR chains are flattened
 * and regrouped with MySQL precedence (AND > XOR > OR) before compiling.
 */
import pkg from 'node-sql-parser';
import { add, div, intDiv, mod, mul, neg, ONE, parseDec, roundHalfUp, sub, ZERO, Dec } from '../decimal.ts';
import type { CompileEnv } from '../env.ts';
import { compileFind, lookupValues, type FindSpec } from '../lookup.ts';
import { Fail, PENDING, type RC } from '../runtime.ts';
import { compileRef, parseTemplate, textOf, type Getter, type Scope } from '../template.ts';
import { addInterval, epochToWall } from '../time.ts';
import { compileValueMap } from '../valuemap.ts';
import { likeMatcher } from '../condition.ts';
import { FUNCTIONS } from './functions.ts';
import { IN_STRING_RE, PLACEHOLDER_RE, prepare, unescapeLiteral, type Prepared } from './prepare.ts';
import { compare, describeSv, epochOf, fromBool, fromJs, isOpaque, num, SqlDate, text, truth, type SV } from './values.ts';

const { Parser } = pkg;
const parser = new Parser();

/** Evaluates a node. `ov` overrides parameter values while an aggregate walks line by line. */
type Ev = (rc: RC, ov: SV[] | null) => SV;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

class CompileFail extends Error {}

interface Cx {
  prep: Prepared;
  scope: Scope;
  env: CompileEnv;
  path: string;
  /** Getter of each template placeholder (by number). */
  params: Getter[];
  finds: (FindSpec | undefined)[];
  /** Parameter ids used below each enclosing aggregate. */
  used: Set<number>[];
}

const LOGIC = new Set(['AND', 'OR', 'XOR', '&&', '||']);
const LEVEL: Record<string, number> = { OR: 0, '||': 0, XOR: 1, AND: 2, '&&': 2 };

/** Regroup an unparenthesised chain of AND/OR/XOR with MySQL precedence. */
function relogic(node: Node): Node {
  const operands: Node[] = [];
  const ops: string[] = [];
  const walk = (n: Node, root: boolean) => {
    if (n && n.type === 'binary_expr' && LOGIC.has(String(n.operator).toUpperCase()) && (root || !n.parentheses)) {
      walk(n.left, false);
      ops.push(String(n.operator).toUpperCase());
      walk(n.right, false);
    } else operands.push(n);
  };
  walk(node, true);
  const build = (lo: number, hi: number, level: number): Node => {
    if (lo === hi) return operands[lo];
    if (level > 2) return operands[lo];
    // split at the last operator of this level (left-associative)
    for (let k = hi - 1; k >= lo; k--) {
      if (LEVEL[ops[k]!] === level) {
        return { type: 'binary_expr', operator: ops[k], left: build(lo, k, level), right: build(k + 1, hi, level + 1), regrouped: true };
      }
    }
    return build(lo, hi, level + 1);
  };
  const out = build(0, operands.length - 1, 0);
  if (node.parentheses) out.parentheses = true;
  return out;
}

function fail(cx: Cx, message: string): never {
  cx.env.issues.push({ path: cx.path, message });
  throw new CompileFail(message);
}

/** Compile `_function …` text (without the prefix). Returns undefined and records issues on error. */
export function compileExpression(expr: string, scope: Scope, env: CompileEnv, path: string): ((rc: RC) => SV) | undefined {
  const prep = prepare(expr);
  if ('error' in prep) {
    env.issues.push({ path, message: prep.error });
    return undefined;
  }
  let ast: Node;
  try {
    ast = parser.astify(`SELECT ${prep.sql}`, { database: 'MySQL' });
  } catch (e) {
    const err = e as { location?: { start?: { column?: number } }; found?: string | null; message?: string };
    const col = err.location?.start?.column;
    const where = col !== undefined ? ` near ${JSON.stringify(prep.sql.slice(Math.max(0, col - 8), col + 12).trim()) || 'the end'}` : '';
    env.issues.push({ path, message: `cannot parse _function expression${where}${err.found === null ? ' (unexpected end)' : ''}` });
    return undefined;
  }
  const stmts = Array.isArray(ast) ? ast : [ast];
  const sel = stmts[0];
  if (stmts.length !== 1 || !sel || sel.type !== 'select' || sel.from || sel.where || sel.groupby || sel.having || sel.orderby || sel.limit || !Array.isArray(sel.columns) || sel.columns.length !== 1 || sel.columns[0].as) {
    env.issues.push({ path, message: '_function must be a single expression (no FROM, aliases, lists or several statements)' });
    return undefined;
  }
  const cx: Cx = { prep, scope, env, path, params: [], finds: [], used: [] };
  const before = env.issues.length;
  // Templates and lookups first, so each is compiled once whatever the AST does with it.
  prep.templates.forEach((inner, i) => {
    const t = parseTemplate(`{{${inner}}}`);
    if ('error' in t || t.parts.length !== 1 || typeof t.parts[0] === 'string') {
      env.issues.push({ path, message: 'error' in t ? t.error : `bad template {{${inner}}}` });
      cx.params[i] = () => undefined;
    } else cx.params[i] = compileRef(t.parts[0]!, scope);
  });
  cx.finds = prep.finds.map((f) => compileFind(f, scope, env, path));
  if (env.issues.length > before) return undefined;
  let ev: Ev;
  try {
    ev = compileNode(sel.columns[0].expr, cx);
  } catch (e) {
    if (e instanceof CompileFail) return undefined;
    throw e;
  }
  return (rc) => ev(rc, null);
}

function param(id: number, cx: Cx, asText: boolean): Ev {
  for (const s of cx.used) s.add(id);
  const get = cx.params[id]!;
  if (asText) {
    return (rc, ov) => {
      if (ov !== null && ov[id] !== undefined) return text(ov[id]!) ?? '';
      return textOf(get(rc));
    };
  }
  return (rc, ov) => {
    if (ov !== null && ov[id] !== undefined) return ov[id]!;
    return fromJs(get(rc));
  };
}

function stringNode(raw: string, quote: "'" | '"', cx: Cx): Ev {
  const value = unescapeLiteral(raw, quote);
  if (!value.includes('__qs')) {
    // QEasy pages often lose the braces: 'kuaidi100Data.state' is text here, which is rarely what was meant.
    if (cx.env.sourceFields?.has(value) && /[._]/.test(value)) {
      cx.env.warnings.push({ path: cx.path, message: `'${value}' is text; to read the field write '{{${value}}}'` });
    }
    return () => value;
  }
  const parts: (string | Ev)[] = [];
  let last = 0;
  for (const m of value.matchAll(new RegExp(IN_STRING_RE.source, 'g'))) {
    if (m.index! > last) parts.push(value.slice(last, m.index));
    parts.push(param(Number(m[1]), cx, true));
    last = m.index! + m[0].length;
  }
  if (last < value.length) parts.push(value.slice(last));
  if (parts.length === 1 && typeof parts[0] !== 'string') return parts[0]!;
  return (rc, ov) => {
    let s = '';
    for (const p of parts) s += typeof p === 'string' ? p : (p(rc, ov) as string);
    return s;
  };
}

function compileNode(node: Node, cx: Cx): Ev {
  if (node === null || node === undefined) fail(cx, 'incomplete expression');
  switch (node.type) {
    case 'number': {
      const d = parseDec(String(node.value));
      if (!d) fail(cx, `bad number ${node.value}`);
      return () => d;
    }
    case 'bigint': {
      const d = parseDec(String(node.value))!;
      return () => d;
    }
    case 'single_quote_string': case 'natural_string':
      return stringNode(String(node.value), "'", cx);
    case 'double_quote_string':
      return stringNode(String(node.value), '"', cx);
    case 'bool': {
      const v = node.value ? ONE : ZERO;
      return () => v;
    }
    case 'null':
      return () => null;
    case 'column_ref':
      return columnRef(node, cx);
    case 'binary_expr':
      return binary(LOGIC.has(String(node.operator).toUpperCase()) && !node.regrouped ? relogic(node) : node, cx);
    case 'unary_expr':
      return unary(node, cx);
    case 'function':
      return func(node, cx);
    case 'aggr_func':
      return aggregate(node, cx);
    case 'case':
      return caseExpr(node, cx);
    case 'cast':
      return cast(compileNode(node.expr, cx), node.target?.[0], cx);
    case 'interval':
      fail(cx, 'INTERVAL is only allowed in DATE_ADD/DATE_SUB or date ± INTERVAL');
    // falls through (fail throws)
    default:
      if (node.ast) fail(cx, 'sub-queries are not supported in _function');
      fail(cx, `unsupported expression (${String(node.type)})`);
  }
}

function columnRef(node: Node, cx: Cx): Ev {
  const name = typeof node.column === 'string' ? node.column : node.column?.expr?.value;
  const m = node.table ? null : PLACEHOLDER_RE.exec(String(name));
  if (!m) {
    const full = node.table ? `${node.table}.${name}` : String(name);
    fail(cx, `unknown name '${full}': write {{${full}}} to read a field, or quote it ('${full}') for text`);
  }
  const id = Number(m[2]);
  switch (m[1]) {
    case 'p':
      return param(id, cx, false);
    case 'n': {
      const d = parseDec(cx.prep.numbers[id]!);
      if (!d) fail(cx, `bad number ${cx.prep.numbers[id]}`);
      return () => d;
    }
    case 'f': {
      const spec = cx.finds[id]!;
      return (rc) => {
        const vals = lookupValues(spec, rc);
        if (vals === PENDING || vals.length === 0) return null;
        return fromJs(vals[0]);
      };
    }
    default:
      fail(cx, `unexpected placeholder ${name}`);
  }
}

function interval(node: Node, cx: Cx): { amount: Ev; unit: string } {
  const unit = String(node.unit ?? '').toLowerCase();
  if (!['microsecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'].includes(unit)) {
    fail(cx, `unsupported INTERVAL unit '${node.unit}'`);
  }
  return { amount: compileNode(node.expr, cx), unit };
}

function dateShift(base: Ev, iv: { amount: Ev; unit: string }, sign: 1 | -1, what: string): Ev {
  return (rc, ov) => {
    const b = base(rc, ov);
    const a = iv.amount(rc, ov);
    if (b === null || a === null) return null;
    const ms = epochOf(b, rc.tz, what);
    if (ms === null) return null;
    const n = num(a, `${what} interval`)!.toNumber() * sign;
    const out = addInterval(ms, rc.tz, n, iv.unit);
    if (out === undefined || !Number.isFinite(out)) throw new Fail(`${what}: result out of range`);
    const dateOnly = typeof b === 'string' ? /^\s*\d{4}-\d{1,2}-\d{1,2}\s*$/.test(b) : b instanceof SqlDate && b.kind === 'date';
    const kind = dateOnly && ['day', 'week', 'month', 'quarter', 'year'].includes(iv.unit) ? 'date' : 'datetime';
    return new SqlDate(out, rc.tz, kind);
  };
}

function arith(op: string, l: Ev, r: Ev): Ev {
  const f = (a: Dec, b: Dec): Dec => {
    switch (op) {
      case '+': return add(a, b);
      case '-': return sub(a, b);
      case '*': return mul(a, b);
      case '/': { const q = div(a, b); if (!q) throw new Fail('division by zero'); return q; }
      case 'DIV': { const q = intDiv(a, b); if (!q) throw new Fail('division by zero'); return q; }
      default: { const q = mod(a, b); if (!q) throw new Fail('division by zero'); return q; }
    }
  };
  return (rc, ov) => {
    const a = num(l(rc, ov), `left side of ${op}:`);
    if (a === null) return null;
    const b = num(r(rc, ov), `right side of ${op}:`);
    if (b === null) return null;
    return f(a, b);
  };
}

function binary(node: Node, cx: Cx): Ev {
  const op = String(node.operator).toUpperCase();
  if ((op === '+' || op === '-') && (node.right?.type === 'interval' || (op === '+' && node.left?.type === 'interval'))) {
    const ivNode = node.right?.type === 'interval' ? node.right : node.left;
    const baseNode = ivNode === node.right ? node.left : node.right;
    return dateShift(compileNode(baseNode, cx), interval(ivNode, cx), op === '-' ? -1 : 1, `date ${op} INTERVAL`);
  }
  switch (op) {
    case 'AND': case '&&': {
      const l = compileNode(node.left, cx), r = compileNode(node.right, cx);
      return (rc, ov) => {
        const a = truth(l(rc, ov));
        if (a === false) return ZERO;
        const b = truth(r(rc, ov));
        if (b === false) return ZERO;
        return a === null || b === null ? null : ONE;
      };
    }
    case 'OR': case '||': {
      const l = compileNode(node.left, cx), r = compileNode(node.right, cx);
      return (rc, ov) => {
        const a = truth(l(rc, ov));
        if (a === true) return ONE;
        const b = truth(r(rc, ov));
        if (b === true) return ONE;
        return a === null || b === null ? null : ZERO;
      };
    }
    case 'XOR': {
      const l = compileNode(node.left, cx), r = compileNode(node.right, cx);
      return (rc, ov) => {
        const a = truth(l(rc, ov)), b = truth(r(rc, ov));
        return a === null || b === null ? null : fromBool(a !== b);
      };
    }
    case '+': case '-': case '*': case '/': case 'DIV': case '%': case 'MOD':
      return arith(op, compileNode(node.left, cx), compileNode(node.right, cx));
    case '=': case '!=': case '<>': case '<': case '<=': case '>': case '>=': {
      const l = compileNode(node.left, cx), r = compileNode(node.right, cx);
      const test: (c: number) => boolean =
        op === '=' ? (c) => c === 0 : op === '<' ? (c) => c < 0 : op === '<=' ? (c) => c <= 0
          : op === '>' ? (c) => c > 0 : op === '>=' ? (c) => c >= 0 : (c) => c !== 0;
      return (rc, ov) => {
        const c = compare(l(rc, ov), r(rc, ov), rc.tz);
        return c === null ? null : test(c) ? ONE : ZERO;
      };
    }
    case 'IS': case 'IS NOT': {
      const l = compileNode(node.left, cx);
      const negate = op === 'IS NOT';
      const rt = node.right?.type;
      let test: (v: SV) => boolean;
      if (rt === 'null') test = (v) => v === null;
      else if (rt === 'bool') {
        const want = !!node.right.value;
        test = (v) => truth(v) === want;
      } else fail(cx, 'IS must be followed by NULL, TRUE or FALSE');
      return (rc, ov) => (test(l(rc, ov)) !== negate ? ONE : ZERO);
    }
    case 'IN': case 'NOT IN': {
      if (node.right?.type !== 'expr_list') fail(cx, 'IN needs a list: x IN (a, b)');
      const l = compileNode(node.left, cx);
      const list = (node.right.value as Node[]).map((n) => compileNode(n, cx));
      const negate = op === 'NOT IN';
      return (rc, ov) => {
        const v = l(rc, ov);
        if (v === null) return null;
        let sawNull = false;
        for (const e of list) {
          const c = compare(v, e(rc, ov), rc.tz);
          if (c === null) sawNull = true;
          else if (c === 0) return negate ? ZERO : ONE;
        }
        if (sawNull) return null;
        return negate ? ONE : ZERO;
      };
    }
    case 'LIKE': case 'NOT LIKE': {
      const l = compileNode(node.left, cx);
      const negate = op === 'NOT LIKE';
      const r = compileNode(node.right, cx);
      let lastPat: string | undefined;
      let matcher: (s: string) => boolean = () => false;
      return (rc, ov) => {
        const v = l(rc, ov), p = r(rc, ov);
        if (v === null || p === null) return null;
        const pat = text(p)!;
        if (pat !== lastPat) {
          lastPat = pat;
          matcher = /[%_]/.test(pat) ? likeMatcher(pat) : (s: string) => s === pat;
        }
        return matcher(text(v)!) !== negate ? ONE : ZERO;
      };
    }
    case 'BETWEEN': case 'NOT BETWEEN': {
      const l = compileNode(node.left, cx);
      const [lo, hi] = (node.right.value as Node[]).map((n) => compileNode(n, cx));
      const negate = op === 'NOT BETWEEN';
      return (rc, ov) => {
        const v = l(rc, ov);
        const a = compare(v, lo!(rc, ov), rc.tz), b = compare(v, hi!(rc, ov), rc.tz);
        if (a === null || b === null) return null;
        return (a >= 0 && b <= 0) !== negate ? ONE : ZERO;
      };
    }
    case 'REGEXP': case 'RLIKE': case 'NOT REGEXP':
      fail(cx, `${op} is not supported (use LIKE, LOCATE or a parser)`);
    // falls through
    default:
      fail(cx, `unsupported operator ${op}`);
  }
}

function unary(node: Node, cx: Cx): Ev {
  const op = String(node.operator).toUpperCase();
  const e = compileNode(node.expr, cx);
  switch (op) {
    case '-':
      return (rc, ov) => { const d = num(e(rc, ov), 'operand of -'); return d === null ? null : neg(d); };
    case '+':
      return (rc, ov) => num(e(rc, ov), 'operand of +');
    case 'NOT': case '!':
      return (rc, ov) => { const t = truth(e(rc, ov)); return t === null ? null : t ? ZERO : ONE; };
    default:
      fail(cx, `unsupported operator ${op}`);
  }
}

function caseExpr(node: Node, cx: Cx): Ev {
  const subject = node.expr ? compileNode(node.expr, cx) : undefined;
  const whens: [Ev, Ev][] = [];
  let otherwise: Ev = () => null;
  for (const a of node.args as Node[]) {
    if (a.type === 'when') whens.push([compileNode(a.cond, cx), compileNode(a.result, cx)]);
    else if (a.type === 'else') otherwise = compileNode(a.result, cx);
  }
  if (subject) {
    return (rc, ov) => {
      const v = subject(rc, ov);
      for (const [c, r] of whens) if (compare(v, c(rc, ov), rc.tz) === 0) return r(rc, ov);
      return otherwise(rc, ov);
    };
  }
  return (rc, ov) => {
    for (const [c, r] of whens) if (truth(c(rc, ov)) === true) return r(rc, ov);
    return otherwise(rc, ov);
  };
}

function cast(e: Ev, target: Node, cx: Cx): Ev {
  const t = String(target?.dataType ?? '').toUpperCase();
  if (t === 'CHAR' || t === 'VARCHAR' || t === 'NCHAR' || t === 'BINARY' || t === 'TEXT') {
    return (rc, ov) => text(e(rc, ov));
  }
  if (/^(SIGNED|UNSIGNED)( INT(EGER)?)?$/.test(t) || t === 'INT' || t === 'INTEGER') {
    return (rc, ov) => { const d = num(e(rc, ov), 'CAST value'); return d === null ? null : roundHalfUp(d, 0); };
  }
  if (t === 'DECIMAL' || t === 'NUMERIC') {
    const scale = Number.isInteger(target.scale) ? target.scale : 0;
    return (rc, ov) => { const d = num(e(rc, ov), 'CAST value'); return d === null ? null : roundHalfUp(d, scale, scale > 0); };
  }
  if (t === 'DATE' || t === 'DATETIME' || t === 'TIME') {
    const kind = t === 'DATE' ? 'date' : t === 'TIME' ? 'time' : 'datetime';
    return (rc, ov) => { const ms = epochOf(e(rc, ov), rc.tz, 'CAST'); return ms === null ? null : new SqlDate(ms, rc.tz, kind); };
  }
  fail(cx, `CAST to ${t || '?'} is not supported (CHAR, SIGNED, UNSIGNED, DECIMAL(p,s), DATE, DATETIME, TIME)`);
}

function fnName(node: Node): string {
  const n = node.name?.name?.[0]?.value ?? node.name;
  return String(n).toUpperCase();
}

function argsOf(node: Node): Node[] {
  return node.args?.value ?? [];
}

function func(node: Node, cx: Cx): Ev {
  const name = fnName(node);
  const args = argsOf(node);
  const arity = (min: number, max: number) => {
    if (args.length < min || args.length > max) {
      fail(cx, `${name} takes ${min === max ? min : `${min} to ${max === Infinity ? 'any number of' : max}`} argument${max === 1 ? '' : 's'}, got ${args.length}`);
    }
  };
  switch (name) {
    case 'IF': {
      arity(3, 3);
      const [c, a, b] = args.map((n) => compileNode(n, cx));
      return (rc, ov) => (truth(c!(rc, ov)) === true ? a!(rc, ov) : b!(rc, ov));
    }
    case 'IFNULL': {
      arity(2, 2);
      const [a, b] = args.map((n) => compileNode(n, cx));
      return (rc, ov) => { const v = a!(rc, ov); return v !== null ? v : b!(rc, ov); };
    }
    case 'COALESCE': {
      arity(1, Infinity);
      const list = args.map((n) => compileNode(n, cx));
      return (rc, ov) => {
        for (const e of list) { const v = e(rc, ov); if (v !== null) return v; }
        return null;
      };
    }
    case 'NOT': {
      arity(1, 1);
      const e = compileNode(args[0], cx);
      return (rc, ov) => { const t = truth(e(rc, ov)); return t === null ? null : t ? ZERO : ONE; };
    }
    case 'MAP': case 'MAP_REVERSE': {
      arity(2, 3);
      const mapName = args[0]?.type === 'single_quote_string' || args[0]?.type === 'double_quote_string' ? String(args[0].value) : undefined;
      if (!mapName) fail(cx, `${name}: the first argument must be a value map name in quotes, e.g. ${name}('shop_to_org', {{shop_no}})`);
      const def = cx.env.maps[mapName];
      if (!def) fail(cx, `${name}: unknown value map '${mapName}' (known: ${Object.keys(cx.env.maps).join(', ') || 'none'})`);
      const before = cx.env.issues.length;
      const lookup = compileValueMap(def, name === 'MAP_REVERSE', (m) => cx.env.issues.push({ path: cx.path, message: m }));
      if (cx.env.issues.length > before) throw new CompileFail('map');
      const key = compileNode(args[1], cx);
      const dflt = args[2] ? compileNode(args[2], cx) : undefined;
      return (rc, ov) => {
        const k = key(rc, ov);
        if (k === null) return null;
        if (isOpaque(k)) throw new Fail(`${name}: key is ${describeSv(k)}`);
        const fallback = dflt ? { value: dflt(rc, ov) } : undefined;
        return fromJs(lookup(k instanceof Dec || k instanceof SqlDate ? text(k) : k, fallback));
      };
    }
    case 'TRIM': {
      // TRIM(s) | TRIM([BOTH|LEADING|TRAILING] [remstr] FROM s)
      const fromIdx = args.findIndex((a) => a?.type === 'origin' && String(a.value).toUpperCase() === 'FROM');
      if (fromIdx < 0) {
        arity(1, 1);
        const e = compileNode(args[0], cx);
        const f = FUNCTIONS.get('TRIM')!.fn;
        return (rc, ov) => f([e(rc, ov)], rc);
      }
      const before = args.slice(0, fromIdx);
      let dir = 'BOTH';
      if (before[0]?.type === 'origin') dir = String(before.shift().value).toUpperCase();
      const rem = before[0] ? compileNode(before[0], cx) : () => ' ';
      const s = compileNode(args[fromIdx + 1], cx);
      return (rc, ov) => {
        const str = text(s(rc, ov)), r = text(rem(rc, ov));
        if (str === null || r === null) return null;
        if (r === '') return str;
        let out = str;
        if (dir !== 'TRAILING') while (out.startsWith(r)) out = out.slice(r.length);
        if (dir !== 'LEADING') while (out.endsWith(r)) out = out.slice(0, out.length - r.length);
        return out;
      };
    }
    case 'DATE_ADD': case 'DATE_SUB': case 'ADDDATE': case 'SUBDATE': {
      arity(2, 2);
      const base = compileNode(args[0], cx);
      const sign = name === 'DATE_SUB' || name === 'SUBDATE' ? -1 : 1;
      const iv = args[1]?.type === 'interval' ? interval(args[1], cx) : { amount: compileNode(args[1], cx), unit: 'day' };
      return dateShift(base, iv, sign, name);
    }
    case 'TIMESTAMPDIFF': {
      arity(3, 3);
      const unit = String(args[0]?.value ?? args[0]?.column ?? '').toLowerCase();
      const a = compileNode(args[1], cx), b = compileNode(args[2], cx);
      const spans: Record<string, number> = { second: 1e3, minute: 6e4, hour: 36e5, day: 864e5, week: 6048e5 };
      if (!(unit in spans) && !['month', 'quarter', 'year'].includes(unit)) fail(cx, `TIMESTAMPDIFF: unsupported unit '${unit}'`);
      return (rc, ov) => {
        const x = epochOf(a(rc, ov), rc.tz, 'TIMESTAMPDIFF'), y = epochOf(b(rc, ov), rc.tz, 'TIMESTAMPDIFF');
        if (x === null || y === null) return null;
        if (unit in spans) return new Dec(BigInt(Math.trunc((y - x) / spans[unit]!)), 0);
        // whole months between the two wall-clock times, MySQL style: a month counts once the day and time
        // of the later value reach those of the earlier one
        const a1 = epochToWall(rc.tz, x), b1 = epochToWall(rc.tz, y);
        let m = (b1.y * 12 + b1.mo) - (a1.y * 12 + a1.mo);
        const rest = (w: typeof a1) => (((w.d * 24 + w.h) * 60 + w.mi) * 60 + w.s) * 1000 + w.ms;
        if (m > 0 && rest(b1) < rest(a1)) m--;
        if (m < 0 && rest(b1) > rest(a1)) m++;
        const div = unit === 'month' ? 1 : unit === 'quarter' ? 3 : 12;
        return new Dec(BigInt(Math.trunc(m / div)), 0);
      };
    }
    case 'CONVERT': {
      arity(1, 2);
      const e = compileNode(args[0], cx);
      if (args.length === 1) return e; // CONVERT(x USING charset)
      if (args[1]?.type !== 'datatype') fail(cx, 'CONVERT(x, TYPE) needs a type');
      return cast(e, args[1], cx);
    }
    case 'POSITION': {
      arity(1, 1);
      const inner = args[0];
      if (inner?.type !== 'binary_expr' || String(inner.operator).toUpperCase() !== 'IN') fail(cx, "POSITION needs the form POSITION('a' IN s)");
      const subE = compileNode(inner.left, cx), strE = compileNode(inner.right, cx);
      const f = FUNCTIONS.get('LOCATE')!.fn;
      return (rc, ov) => f([subE(rc, ov), strE(rc, ov)], rc);
    }
    default: {
      const def = FUNCTIONS.get(name);
      if (!def) fail(cx, `unknown function ${name}()`);
      arity(def.min, def.max);
      const list = args.map((n) => compileNode(n, cx));
      const fn = def.fn;
      if (list.length === 0) return (rc) => fn([], rc);
      if (list.length === 1) { const a = list[0]!; return (rc, ov) => fn([a(rc, ov)], rc); }
      if (list.length === 2) { const a = list[0]!, b = list[1]!; return (rc, ov) => fn([a(rc, ov), b(rc, ov)], rc); }
      return (rc, ov) => fn(list.map((e) => e(rc, ov)), rc);
    }
  }
}

/**
 * SUM/COUNT/MAX/MIN/AVG over a line table: `SUM({{details_list.qty}})`, `SUM({{d.qty}} * {{d.price}})`.
 * Template parameters that hold lists are walked element by element (together, by index); the others stay fixed.
 */
function aggregate(node: Node, cx: Cx): Ev {
  const name = String(node.name).toUpperCase();
  if (!['SUM', 'COUNT', 'MAX', 'MIN', 'AVG'].includes(name)) fail(cx, `unsupported aggregate ${name}()`);
  const argNode = node.args?.expr;
  const star = argNode?.type === 'star';
  const distinct = !!node.args?.distinct;
  const used = new Set<number>();
  cx.used.push(used);
  const arg = star ? () => ONE : compileNode(argNode, cx);
  cx.used.pop();
  const ids = [...used];

  const collect = (rc: RC, ov: SV[] | null): SV[] => {
    const raws: SV[] = ids.map((id) => (ov !== null && ov[id] !== undefined ? ov[id]! : fromJs(cx.params[id]!(rc))));
    let n = -1;
    for (const r of raws) if (Array.isArray(r)) n = Math.max(n, r.length);
    if (n < 0) {
      const v = arg(rc, ov);
      return Array.isArray(v) ? (v as unknown[]).map(fromJs) : [v];
    }
    const out: SV[] = [];
    for (let i = 0; i < n; i++) {
      const o: SV[] = ov ? ov.slice() : [];
      ids.forEach((id, k) => {
        const r = raws[k]!;
        o[id] = Array.isArray(r) ? fromJs((r as unknown[])[i]) : r;
      });
      out.push(arg(rc, o));
    }
    return out;
  };

  return (rc, ov) => {
    let vals = collect(rc, ov).filter((v) => v !== null);
    if (distinct) {
      const seen = new Set<string>();
      vals = vals.filter((v) => { const k = text(v)!; if (seen.has(k)) return false; seen.add(k); return true; });
    }
    switch (name) {
      case 'COUNT':
        return new Dec(BigInt(vals.length), 0);
      case 'SUM': case 'AVG': {
        if (vals.length === 0) return null;
        let total = ZERO;
        for (const v of vals) total = add(total, num(v, `${name} item`)!);
        return name === 'SUM' ? total : div(total, new Dec(BigInt(vals.length), 0))!;
      }
      default: {
        if (vals.length === 0) return null;
        let best = vals[0]!;
        for (const v of vals.slice(1)) {
          const c = compare(v, best, rc.tz)!;
          if (name === 'MAX' ? c > 0 : c < 0) best = v;
        }
        return best;
      }
    }
  };
}

