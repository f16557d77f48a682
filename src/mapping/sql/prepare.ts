/**
 * Before node-sql-parser sees an expression, templates and lookups are swapped for placeholders, so record values
 * are bound as typed parameters at run time and never spliced into SQL text (no injection, no re-parsing):
 *
 *   {{x}} outside quotes        → identifier __qp<n>__   (the value with its own type)
 *   {{x}} inside a quoted text  → text __qs<n>__ inside the literal (the value as text)
 *   _findCollection … _endFind  → identifier __qf<n>__
 *   12.345 / 1e3 / long numbers → identifier __qn<n>__   (node-sql-parser turns long decimals into floats)
 */
import { scanFind, type ScannedFind } from '../lookup.ts';

export interface Prepared {
  sql: string;
  /** Template text (without braces) of each __qp / __qs placeholder. */
  templates: string[];
  finds: ScannedFind[];
  numbers: string[];
}

export const PLACEHOLDER_RE = /^__q([psfn])(\d+)__$/;
export const IN_STRING_RE = /__qs(\d+)__/g;

const isIdent = (c: string | undefined) => c !== undefined && /[\w$\u0080-\uffff]/.test(c);

export function prepare(expr: string): Prepared | { error: string } {
  if (/__q[psfn]\d+__/.test(expr)) return { error: 'expression must not contain the reserved text __q…__' };
  const templates: string[] = [];
  const finds: ScannedFind[] = [];
  const numbers: string[] = [];
  let out = '';
  let i = 0;
  const n = expr.length;
  const readTemplate = (at: number): { end: number; inner: string } | { error: string } => {
    const end = expr.indexOf('}}', at + 2);
    if (end < 0) return { error: `unbalanced template: '{{' at ${at} is never closed` };
    const inner = expr.slice(at + 2, end);
    if (inner.includes('{{')) return { error: `unbalanced template: nested '{{' at ${at}` };
    return { end: end + 2, inner };
  };
  while (i < n) {
    const c = expr[i]!;
    if (c === "'" || c === '"') {
      // Copy the literal, swapping templates inside it.
      let j = i + 1;
      out += c;
      for (;;) {
        if (j >= n) return { error: `unterminated text literal starting at ${i}` };
        const d = expr[j]!;
        if (d === '\\' && j + 1 < n) {
          out += expr.slice(j, j + 2);
          j += 2;
          continue;
        }
        if (d === '{' && expr[j + 1] === '{') {
          const t = readTemplate(j);
          if ('error' in t) return t;
          out += `__qs${templates.length}__`;
          templates.push(t.inner);
          j = t.end;
          continue;
        }
        if (d === '}' && expr[j + 1] === '}') return { error: `unbalanced template: '}}' without '{{' at ${j}` };
        if (d === c) {
          if (expr[j + 1] === c) {
            out += c + c;
            j += 2;
            continue;
          }
          out += c;
          j++;
          break;
        }
        out += d;
        j++;
      }
      i = j;
      continue;
    }
    if (c === '`') {
      const j = expr.indexOf('`', i + 1);
      if (j < 0) return { error: `unterminated \`identifier\` at ${i}` };
      out += expr.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '{' && expr[i + 1] === '{') {
      const t = readTemplate(i);
      if ('error' in t) return t;
      out += ` __qp${templates.length}__ `;
      templates.push(t.inner);
      i = t.end;
      continue;
    }
    if (c === '}' && expr[i + 1] === '}') return { error: `unbalanced template: '}}' without '{{' at ${i}` };
    if (c === '_' && expr.startsWith('_findCollection', i) && !isIdent(expr[i - 1]) && !isIdent(expr[i + 15])) {
      const s = scanFind(expr, i);
      if ('error' in s) return s;
      out += ` __qf${finds.length}__ `;
      finds.push(s);
      i = s.end;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(expr[i + 1] ?? ''))) {
      if (!isIdent(expr[i - 1]) && !(c === '0' && /[xXbB]/.test(expr[i + 1] ?? ''))) {
        const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(expr.slice(i));
        const text = m ? m[0] : '';
        if (text && !isIdent(expr[i + text.length])) {
          if (text.includes('.') || /[eE]/.test(text) || text.replace(/^0+/, '').length > 15) {
            out += ` __qn${numbers.length}__ `;
            numbers.push(text);
          } else {
            out += text;
          }
          i += text.length;
          continue;
        }
      }
    }
    out += c;
    i++;
  }
  return { sql: out, templates, finds, numbers };
}

/** Undo MySQL escapes in a literal as node-sql-parser leaves them (`it''s`, `a\'b`, `\n`). */
export function unescapeLiteral(raw: string, quote: "'" | '"'): string {
  let s = raw.split(quote + quote).join(quote);
  if (!s.includes('\\')) return s;
  s = s.replace(/\\(.)/g, (_, ch: string) => {
    switch (ch) {
      case '0': return '\0';
      case 'b': return '\b';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'Z': return '\x1a';
      case '%': return '\\%';
      case '_': return '\\_';
      default: return ch;
    }
  });
  return s;
}
