/**
 * `qiao keys rotate`: re-encrypt every sealed secret under a new master key, then retire the old key.
 *  - key file: a new key is added and made current (the file keeps the old one until every value is re-encrypted,
 *    so a crash in between loses nothing), values are re-sealed in one transaction, then old keys are dropped.
 *  - QIAO_MASTER_KEY: set the new key there and the old one in QIAO_MASTER_KEY_PREVIOUS, run rotate, then drop
 *    QIAO_MASTER_KEY_PREVIOUS.
 */
import { connectorSecretContext, type ConfigStore } from '../store/sqlite/config-store.ts';
import { keyIdOfSealed } from './cipher.ts';
import { addFileKey, readKeyFile, retireKeys, type KeyRing } from './keyring.ts';

export interface RotateResult {
  from: string[];
  to: string;
  reencrypted: number;
  retired: string[];
}

/** How many sealed values each key id holds. */
export function keyUsage(config: ConfigStore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of config.sealedValues()) {
    const id = keyIdOfSealed(v.sealed) ?? '?';
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

/** Returns the key ring to use from now on with what was done. */
export function rotateKeys(ring: KeyRing, config: ConfigStore): { ring: KeyRing; result: RotateResult } {
  const before = Object.keys(keyUsage(config));
  let next = ring;
  if (ring.source === 'file') {
    addFileKey(ring.file!);
    next = readKeyFile(ring.file!);
  }
  const reencrypted = reseal(next, config);
  let retired: string[] = [];
  if (next.source === 'file') {
    retired = retireKeys(next.file!, [next.current.id]);
    next = readKeyFile(next.file!);
  }
  return { ring: next, result: { from: before, to: next.current.id, reencrypted, retired } };
}

/** Re-seal every value not sealed under the ring's current key. */
export function reseal(ring: KeyRing, config: ConfigStore): number {
  return config.transaction(() => {
    let n = 0;
    for (const c of config.listConnectors()) {
      const secrets: Record<string, string> = {};
      let changed = false;
      for (const [param, sealed] of Object.entries(c.secrets)) {
        const ctx = connectorSecretContext(c.name, param);
        if (keyIdOfSealed(sealed) === ring.current.id) secrets[param] = sealed;
        else {
          secrets[param] = ring.encrypt(ring.decrypt(sealed, ctx), ctx);
          changed = true;
          n++;
        }
      }
      if (changed) config.replaceConnectorSecrets(c.name, secrets);
    }
    for (const v of config.sealedValues().filter((x) => x.kind === 'app')) {
      if (keyIdOfSealed(v.sealed) === ring.current.id) continue;
      config.updateAppSecret(v.owner, ring.encrypt(ring.decrypt(v.sealed, v.context), v.context));
      n++;
    }
    return n;
  });
}
