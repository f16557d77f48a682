/**
 * Finds connector platforms: every folder under src/connectors/ whose index.ts exports `platform`.
 * Adding a platform means adding a folder; nothing here changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Platform } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
let loaded: Promise<Map<string, Platform>> | undefined;

export function loadPlatforms(): Promise<Map<string, Platform>> {
  loaded ??= (async () => {
    const out = new Map<string, Platform>();
    const dirs = fs
      .readdirSync(here, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(here, d.name, 'index.ts')))
      .map((d) => d.name)
      .sort();
    for (const dir of dirs) {
      const mod = (await import(pathToFileURL(path.join(here, dir, 'index.ts')).href)) as { platform?: Platform };
      if (mod.platform) out.set(mod.platform.name, mod.platform);
    }
    return out;
  })();
  return loaded;
}
