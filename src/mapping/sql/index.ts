/** `_function <expr>`: MySQL-like expressions, parsed once, evaluated per record (see compile.ts). */
import type { CompileEnv } from '../env.ts';
import type { Getter, Scope } from '../template.ts';
import { compileExpression } from './compile.ts';

export { registerFunction } from './functions.ts';
export { compileExpression };

export function isFunctionValue(v: string): boolean {
  return /^\s*_function\s/.test(v);
}

export function compileFunctionValue(v: string, scope: Scope, env: CompileEnv, path: string): Getter | undefined {
  const expr = v.replace(/^\s*_function\s+/, '');
  if (!expr.trim()) {
    env.issues.push({ path, message: '_function needs an expression' });
    return undefined;
  }
  return compileExpression(expr, scope, env, path);
}
