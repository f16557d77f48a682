/**
 * Secrets at rest: AES-256-GCM bound to what the secret belongs to, master key from QIAO_MASTER_KEY or a 0600 key
 * file, key ids, rotation (file and env), and what a restart does with them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptWith, encryptWith, isSealed, keyIdOfSealed } from '../../src/secrets/cipher.ts';
import { KEY_FILE, keyId, loadKeyRing, parseKey } from '../../src/secrets/keyring.ts';
import { keyUsage, rotateKeys } from '../../src/secrets/rotate.ts';
import { ConfigStore } from '../../src/store/sqlite/config-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { seedWorkspace, tmpDir } from '../helpers.ts';
import { call, login, startConsoleServer, WDT_PARAMS } from './helpers.ts';

const key = () => {
  const k = randomBytes(32);
  return { id: keyId(k), key: k };
};

describe('cipher', () => {
  it('round-trips text (Chinese and emoji included) and never repeats a ciphertext', () => {
    const k = key();
    const a = encryptWith(k, '密钥 🔑 secret', 'connector:x:appsecret');
    const b = encryptWith(k, '密钥 🔑 secret', 'connector:x:appsecret');
    expect(a).not.toBe(b);
    expect(isSealed(a)).toBe(true);
    expect(keyIdOfSealed(a)).toBe(k.id);
    expect(a).not.toContain('secret');
    expect(decryptWith(k, a, 'connector:x:appsecret')).toBe('密钥 🔑 secret');
  });

  it('does not open under another context (a secret copied onto another connector), another key, or when tampered', () => {
    const k = key();
    const sealed = encryptWith(k, 'value', 'connector:a:appsecret');
    expect(() => decryptWith(k, sealed, 'connector:b:appsecret')).toThrow(/does not decrypt/);
    const other = { ...key(), id: k.id };
    expect(() => decryptWith(other, sealed, 'connector:a:appsecret')).toThrow(/does not decrypt/);
    const parts = sealed.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[4] = ct.toString('base64url');
    expect(() => decryptWith(k, parts.join('.'), 'connector:a:appsecret')).toThrow(/does not decrypt/);
  });
});

describe('key ring', () => {
  it('creates the key file on first use with mode 0600, and reads the same key back', () => {
    const dir = tmpDir('qiao-keys-');
    const ring = loadKeyRing(dir, {});
    const file = path.join(dir, KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(ring.source).toBe('file');
    const again = loadKeyRing(dir, {});
    expect(again.current.id).toBe(ring.current.id);
    expect(again.decrypt(ring.encrypt('x', 'c'), 'c')).toBe('x');
  });

  it('tightens a key file others can read', () => {
    const dir = tmpDir('qiao-keys-');
    loadKeyRing(dir, {});
    const file = path.join(dir, KEY_FILE);
    fs.chmodSync(file, 0o644);
    loadKeyRing(dir, {});
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('takes QIAO_MASTER_KEY (base64 or hex) with a key id derived from it, and rejects a weak one', () => {
    const k = randomBytes(32);
    const a = loadKeyRing(tmpDir(), { QIAO_MASTER_KEY: k.toString('base64') });
    const b = loadKeyRing(tmpDir(), { QIAO_MASTER_KEY: k.toString('hex') });
    expect(a.source).toBe('env');
    expect(a.current.id).toBe(b.current.id);
    expect(a.current.id).toBe(keyId(k));
    expect(a.current.id).not.toContain(k.toString('hex').slice(0, 8));
    expect(() => parseKey('password123', 'QIAO_MASTER_KEY')).toThrow(/32 random bytes/);
    expect(() => loadKeyRing(tmpDir(), { QIAO_MASTER_KEY: 'short' })).toThrow(/openssl rand -base64 32/);
  });
});

describe('rotation', () => {
  function storeWithSecrets(dataDir: string, env: Record<string, string | undefined>) {
    const store = new SqliteStore({ dataDir });
    const config = new ConfigStore(store.db);
    const ring = loadKeyRing(dataDir, env);
    config.putConnector(
      { name: 'w', platform: 'wdt', env: 'sandbox', params: { sid: 's' }, secrets: { appsecret: ring.encrypt('top-secret', 'connector:w:appsecret') }, limits: null },
      'test',
      Date.now(),
    );
    config.insertApp({ appKey: 'k1', name: 'n', secret: ring.encrypt('app-secret', 'app:k1'), scopes: ['push'], createdAt: Date.now(), createdBy: 'test' });
    return { store, config, ring };
  }

  it('with the key file: re-encrypts every secret under a new key, then retires the old key', async () => {
    const dir = tmpDir('qiao-rot-');
    const { store, config, ring } = storeWithSecrets(dir, {});
    const old = ring.current.id;
    const { ring: next, result } = rotateKeys(ring, config);
    expect(result).toMatchObject({ from: [old], reencrypted: 2, retired: [old] });
    expect(next.current.id).not.toBe(old);
    expect(keyUsage(config)).toEqual({ [next.current.id]: 2 });
    const reread = loadKeyRing(dir, {});
    expect(reread.ids).toEqual([next.current.id]);
    expect(reread.decrypt(config.getConnector('w')!.secrets.appsecret!, 'connector:w:appsecret')).toBe('top-secret');
    expect(reread.decrypt(config.getApp('k1')!.secret, 'app:k1')).toBe('app-secret');
    expect(fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
    await store.close();
  });

  it('with QIAO_MASTER_KEY: the new key in QIAO_MASTER_KEY, the old one in QIAO_MASTER_KEY_PREVIOUS', async () => {
    const dir = tmpDir('qiao-rot-');
    const k1 = randomBytes(32).toString('base64');
    const k2 = randomBytes(32).toString('base64');
    const { store, config } = storeWithSecrets(dir, { QIAO_MASTER_KEY: k1 });
    expect(() => loadKeyRing(dir, { QIAO_MASTER_KEY: k2 }).decrypt(config.getConnector('w')!.secrets.appsecret!, 'connector:w:appsecret')).toThrow(/not available/);
    const ring = loadKeyRing(dir, { QIAO_MASTER_KEY: k2, QIAO_MASTER_KEY_PREVIOUS: k1 });
    const { result } = rotateKeys(ring, config);
    expect(result.reencrypted).toBe(2);
    expect(loadKeyRing(dir, { QIAO_MASTER_KEY: k2 }).decrypt(config.getConnector('w')!.secrets.appsecret!, 'connector:w:appsecret')).toBe('top-secret');
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(false);
    await store.close();
  });
});

describe('secrets across restarts', () => {
  it('a console connector keeps working after a restart and after rotating the key through the API', async () => {
    const dataDir = tmpDir('qiao-sec-');
    const ws = seedWorkspace();
    let q = await startConsoleServer({ workspace: ws, dataDir });
    let admin = await login(q.url);
    expect((await call(q.url, 'POST', '/api/connectors', admin, { name: 'w2', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS })).status).toBe(200);
    const rotated = await call(q.url, 'POST', '/api/keys/rotate', admin, {});
    expect(rotated.body.reencrypted).toBe(1);
    // Neither the database nor its write-ahead log holds the secret in clear.
    for (const f of fs.readdirSync(dataDir).filter((x) => x.startsWith('qiao.db')))
      expect(fs.readFileSync(path.join(dataDir, f)).includes(Buffer.from('qiaodemo-secret')), f).toBe(false);
    await q.close();
    q = await startConsoleServer({ workspace: ws, dataDir });
    try {
      admin = await login(q.url);
      expect((await call(q.url, 'POST', '/api/connectors/w2/test', admin, {})).body).toMatchObject({ ok: true });
      const status = await call(q.url, 'GET', '/api/keys', admin);
      expect(status.body).toMatchObject({ source: 'file', current: rotated.body.to, usage: { [rotated.body.to]: 1 } });
    } finally {
      await q.close();
    }
  });

  it('a secret whose key is gone does not stop the server: the connector is reported as a problem', async () => {
    const dataDir = tmpDir('qiao-sec-');
    const ws = seedWorkspace();
    let q = await startConsoleServer({ workspace: ws, dataDir });
    expect((await call(q.url, 'POST', '/api/connectors', await login(q.url), { name: 'w3', platform: 'wdt', env: 'sandbox', params: WDT_PARAMS })).status).toBe(200);
    await q.close();
    q = await startConsoleServer({ workspace: ws, dataDir, env: { QIAO_MASTER_KEY: randomBytes(32).toString('base64') } });
    try {
      const overview = await call(q.url, 'GET', '/api/overview', await login(q.url));
      expect(overview.body.problems).toEqual([expect.objectContaining({ kind: 'connector', name: 'w3', message: expect.stringMatching(/not available/) })]);
    } finally {
      await q.close();
    }
  });
});
