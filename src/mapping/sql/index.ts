/** `_function <expr>`: MySQL-like expressions. */
import type { CompileEnv } from '../env.ts';
import type { Getter, Scope } from '../template.ts';

export function isFunctionValue(v: string): boolean {
  return /^\s*_function\s/.test(v);
}

export function compileFunctionValue(v: string, _scope: Scope, env: CompileEnv, path: string): Getter | undefined {
  env.issues.push({ path, message: `_function is not supported yet: ${v}` });
  return undefined;
}
