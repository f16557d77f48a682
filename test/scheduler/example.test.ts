/**
 * The README's one command for the example workspace works as printed: `npm run example:stockout -- --once`
 * seeds the mounted WDT sandbox, polls it twice through the scheme and delivers every stockout to the HTTP target.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

describe('examples/wdt-stockout-to-http', () => {
  it('runs end to end with one command', async () => {
    const { code, out, err } = await new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const c = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), 'examples/wdt-stockout-to-http/run.ts', '--once', '--port', '0'], { cwd: ROOT });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    const shipped = Number(/seeded 300 orders over the last 3 days, (\d+) shipped/.exec(out)?.[1]);
    expect(shipped).toBeGreaterThan(100);
    const first = /run #1 done: .*?(\d+) row\(s\) read, (\d+) new/.exec(out)!;
    expect(Number(first[2])).toBe(shipped);
    const second = /run #2 done: .*?(\d+) new, (\d+) already stored/.exec(out)!;
    expect(Number(second[1])).toBe(12);
    expect(out).toContain(`delivered to the HTTP target: ${shipped + 12} sales-outbound bill(s) in total`);
    expect(out).toMatch(/a bill as the ERP received it: \{"bill_no":"CK/);
  }, 60_000);
});
