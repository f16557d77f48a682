import type { Issue } from '../errors.ts';
import { ValidationError } from '../errors.ts';

/** An error the CLI prints as a plain message (no stack trace) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function formatIssues(issues: Issue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}

/** Turns a workspace/validation failure into a CliError listing every problem. */
export function asCliError(e: unknown): unknown {
  if (e instanceof ValidationError) return new CliError(`${e.message}:\n${formatIssues(e.issues)}`, 2);
  return e;
}

export function intOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
}
