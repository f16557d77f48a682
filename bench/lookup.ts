/**
 * `npm run bench:lookup`: `_findCollection` on a large reference scheme. Fills the embedded store with
 * BENCH_LOOKUP_RECORDS goods records (default 1,000,000), then times lookups by a content field with the
 * expression index, against the same lookups without it (a full scan, on a 20,000-record sample of lookups
 * run before the index exists), in the same process.
 */
import { createHash } from 'node:crypto';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { tmpDir } from '../test/helpers.ts';

const N = Number(process.env.BENCH_LOOKUP_RECORDS ?? 1_000_000);
const store = new SqliteStore({ dataDir: tmpDir('qiao-lookup-'), synchronous: 'NORMAL' });
const t0 = Date.now();
for (let i = 0; i < N; i += 10_000) {
  const items = Array.from({ length: Math.min(10_000, N - i) }, (_, k) => {
    const n = i + k;
    const content = JSON.stringify({ spec_no: `SP-${n}`, erp_name: `货品 ${n}`, barcode: String(6900000000000 + n) });
    return { schemeId: 'goods', sourceId: `SP-${n}`, number: `SP-${n}`, content, hash: createHash('md5').update(content).digest('hex'), idCheck: true as const, origin: {} };
  });
  await store.intake(items);
}
console.log(`filled ${N} records in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const time = async (label: string, count: number) => {
  const start = process.hrtime.bigint();
  let found = 0;
  for (let i = 0; i < count; i++) {
    const r = await store.lookup({ schemeId: 'goods', field: 'erp_name', where: { barcode: String(6900000000000 + ((i * 7919) % N)) } });
    found += r.length;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label}: ${Math.round(count / s)} lookups/s (${count} lookups, ${found} found)`);
  return count / s;
};

const scan = await time('without index (full scan)', 20);
const t1 = Date.now();
await store.ensureLookupIndexes('goods', ['barcode']);
console.log(`index built in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
const indexed = await time('with the expression index', 100_000);
console.log(`index speed-up: ${Math.round(indexed / scan)}×`);
await store.close();
