/**
 * Master keys for secrets at rest (connector secrets, OpenAPI app secrets made in the console).
 *
 * Where the keys come from, in order:
 *  - `QIAO_MASTER_KEY` (32 bytes as base64 or hex; `openssl rand -base64 32`), with older keys still needed to read
 *    old secrets in `QIAO_MASTER_KEY_PREVIOUS` (comma-separated). An env key's id is derived from the key itself.
 *  - else `<data>/master.key`, created on first start with mode 0600: `{"current": id, "keys": [{id, key, createdAt}]}`.
 *
 * Every encrypted value names the id of the key that sealed it, so `qiao keys rotate` can re-encrypt everything under
 * a new key while the old one is still around, then retire the old one.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decryptWith, encryptWith, keyIdOfSealed } from './cipher.ts';

export interface MasterKey {
  id: string;
  key: Buffer;
}

export const KEY_FILE = 'master.key';

interface KeyFile {
  current: string;
  keys: Array<{ id: string; key: string; createdAt: string }>;
}

export class KeyError extends Error {}

export class KeyRing {
  private readonly byId: Map<string, MasterKey>;

  constructor(
    readonly current: MasterKey,
    keys: MasterKey[],
    /** `env` (QIAO_MASTER_KEY) or `file` (the data folder's master.key). */
    readonly source: 'env' | 'file',
    readonly file?: string,
  ) {
    this.byId = new Map(keys.map((k) => [k.id, k]));
    this.byId.set(current.id, current);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Seal `plaintext` under the current key; `context` (e.g. `connector:wdt:appsecret`) is bound to it as AAD. */
  encrypt(plaintext: string, context: string): string {
    return encryptWith(this.current, plaintext, context);
  }

  decrypt(sealed: string, context: string): string {
    const id = keyIdOfSealed(sealed);
    const key = id ? this.byId.get(id) : undefined;
    if (!key) throw new KeyError(`secret sealed with key "${id ?? '?'}" which is not available (set QIAO_MASTER_KEY_PREVIOUS or restore the key file)`);
    return decryptWith(key, sealed, context);
  }
}

/** Stable id of a key (never the key itself): the first 12 hex digits of a hash. */
export function keyId(key: Buffer): string {
  return `k${createHash('sha256').update('qiao-master-key-id:').update(key).digest('hex').slice(0, 12)}`;
}

/** A 32-byte key from base64 or hex text. */
export function parseKey(text: string, what: string): Buffer {
  const t = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) key = b;
  }
  if (!key) throw new KeyError(`${what} must be 32 random bytes as base64 or hex (make one with: openssl rand -base64 32)`);
  return key;
}

/** The key ring of a data folder: from the environment, else from (or into) `<data>/master.key`. */
export function loadKeyRing(dataDir: string, env: Record<string, string | undefined> = process.env): KeyRing {
  const envKey = env.QIAO_MASTER_KEY?.trim();
  if (envKey) {
    const key = parseKey(envKey, 'QIAO_MASTER_KEY');
    const previous = (env.QIAO_MASTER_KEY_PREVIOUS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s, i) => {
        const k = parseKey(s, `QIAO_MASTER_KEY_PREVIOUS[${i}]`);
        return { id: keyId(k), key: k };
      });
    return new KeyRing({ id: keyId(key), key }, previous, 'env');
  }
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    const key = randomBytes(32);
    writeKeyFile(file, { current: keyId(key), keys: [{ id: keyId(key), key: key.toString('base64'), createdAt: new Date().toISOString() }] });
  }
  return readKeyFile(file);
}

export function readKeyFile(file: string): KeyRing {
  // A key file others can read defeats encryption at rest: tighten it and go on.
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077) fs.chmodSync(file, 0o600);
  let data: KeyFile;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  } catch (e) {
    throw new KeyError(`${file} is not a valid key file: ${(e as Error).message}`);
  }
  const keys = (data.keys ?? []).map((k) => ({ id: k.id, key: parseKey(k.key, `${file} key ${k.id}`) }));
  for (const k of keys) if (keyId(k.key) !== k.id) throw new KeyError(`${file}: key ${k.id} does not match its id`);
  const current = keys.find((k) => k.id === data.current);
  if (!current) throw new KeyError(`${file}: the current key ${data.current} is missing`);
  return new KeyRing(current, keys, 'file', file);
}

/** Written to a temp file and renamed, mode 0600, so a crash never leaves a half-written key file. */
export function writeKeyFile(file: string, data: KeyFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Add a fresh key to the key file and make it current; older keys stay until `retireKeys`. */
export function addFileKey(file: string): MasterKey {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  const key = randomBytes(32);
  const id = keyId(key);
  data.keys.push({ id, key: key.toString('base64'), createdAt: new Date().toISOString() });
  data.current = id;
  writeKeyFile(file, data);
  return { id, key };
}

/** Drop every key but `keep` from the key file. */
export function retireKeys(file: string, keep: string[]): string[] {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  const dropped = data.keys.filter((k) => !keep.includes(k.id)).map((k) => k.id);
  data.keys = data.keys.filter((k) => keep.includes(k.id));
  writeKeyFile(file, data);
  return dropped;
}
