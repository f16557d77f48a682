/**
 * QEasy writes nested parameters two ways: flat with `parent` (the parent's `id` or `field`), or flat with dotted
 * names (`order_list.oid` next to `order_list`). Both become a `children` tree here, so the compilers only deal
 * with one shape. Input objects are not modified.
 */
import type { Issue } from '../errors.ts';
import type { MetaParam } from '../metadata/types.ts';

export function normaliseParams(params: MetaParam[]): MetaParam[] {
  return normaliseWithIssues(params, '').params;
}

export function normaliseWithIssues(params: unknown, basePath: string): { params: MetaParam[]; issues: Issue[] } {
  const issues: Issue[] = [];
  if (params === undefined || params === null) return { params: [], issues };
  if (!Array.isArray(params)) {
    issues.push({ path: basePath, message: 'must be a list of parameters' });
    return { params: [], issues };
  }
  return { params: buildLevel(params, basePath, '', issues), issues };
}

interface Node {
  param: MetaParam;
  children: Node[];
  path: string;
}

function buildLevel(list: unknown[], basePath: string, parentField: string, issues: Issue[]): MetaParam[] {
  const nodes: Node[] = [];
  const byKey = new Map<string, Node>();
  const top: Node[] = [];
  const pending: Node[] = [];
  list.forEach((raw, i) => {
    const path = `${basePath}[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      issues.push({ path, message: 'a parameter must be an object with a "field"' });
      return;
    }
    const p = { ...(raw as MetaParam) };
    if (typeof p.field !== 'string' || p.field.trim() === '') {
      issues.push({ path: `${path}.field`, message: 'is required (a non-empty string)' });
      return;
    }
    const node: Node = { param: p, children: [], path };
    nodes.push(node);
    if (typeof p.id === 'string' && p.id && !byKey.has(`id:${p.id}`)) byKey.set(`id:${p.id}`, node);
    if (!byKey.has(`f:${p.field}`)) byKey.set(`f:${p.field}`, node);
  });
  for (const node of nodes) {
    const parent = node.param.parent;
    if (parent !== undefined && parent !== null && parent !== '') {
      const key = String(parent);
      const target = byKey.get(`id:${key}`) ?? byKey.get(`f:${key}`) ?? byKey.get(`f:${parentField ? `${parentField}.${key}` : key}`);
      if (target && target !== node) target.children.push(node);
      else {
        issues.push({ path: `${node.path}.parent`, message: `unknown parent '${key}'` });
        top.push(node);
      }
      continue;
    }
    pending.push(node);
  }
  // Dotted names: `order_list.oid` goes under the longest declared prefix (`order_list`).
  for (const node of pending) {
    const f = node.param.field;
    let parentNode: Node | undefined;
    let dot = f.lastIndexOf('.');
    while (dot > 0 && !parentNode) {
      const cand = byKey.get(`f:${f.slice(0, dot)}`);
      if (cand && cand !== node) parentNode = cand;
      dot = f.lastIndexOf('.', dot - 1);
    }
    if (parentNode) parentNode.children.push(node);
    else top.push(node);
  }
  // Keep declaration order at each level.
  const order = new Map(nodes.map((n, i) => [n, i]));
  const emit = (n: Node): MetaParam => {
    const out: MetaParam = { ...n.param };
    delete out.parent;
    const nested = Array.isArray(n.param.children) ? n.param.children : [];
    const fromFlat = n.children.sort((a, b) => order.get(a)! - order.get(b)!).map(emit);
    if (nested.length || fromFlat.length) {
      const inner = nested.length ? buildLevel(nested, `${n.path}.children`, n.param.field, issues) : [];
      out.children = [...inner, ...fromFlat];
    } else if (out.children !== undefined && !Array.isArray(out.children)) {
      issues.push({ path: `${n.path}.children`, message: 'must be a list of parameters' });
      delete out.children;
    }
    return out;
  };
  return top.sort((a, b) => order.get(a)! - order.get(b)!).map(emit);
}

/** Output key of a child parameter: `order_list.oid` under `order_list` → `oid`. */
export function childKey(field: string, parentField: string | undefined): string {
  if (parentField && field.startsWith(parentField + '.')) return field.slice(parentField.length + 1);
  return field;
}
