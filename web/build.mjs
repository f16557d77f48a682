#!/usr/bin/env node
// Builds the console into web/dist (run by `npm ci` through the `prepare` script, and by `npm run build:web`).
// An install without dev dependencies has no Vite: the server then still runs and explains how to build.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let vite;
try {
  require.resolve('vite');
  vite = await import('vite');
} catch {
  console.warn('qiao: vite is not installed (production install?); the web console is not built. Run `npm run build:web` after `npm ci`.');
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: path.join(import.meta.dirname, 'vite.config.ts'), logLevel: 'warn' });
console.log(`qiao: web console built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
