/** Beijing time (UTC+8, no DST) as WDT speaks it: `yyyy-MM-dd HH:mm:ss`. */
const OFFSET = 8 * 3600_000;
const RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
export const ZERO_TIME = '0000-00-00 00:00:00';

export function fmtBeijing(ms: number): string {
  return new Date(ms + OFFSET).toISOString().slice(0, 19).replace('T', ' ');
}

/** Epoch ms of a Beijing `yyyy-MM-dd HH:mm:ss`, or undefined when malformed or not a real calendar time. */
export function parseBeijing(s: string): number | undefined {
  const m = RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, se) - OFFSET;
  return fmtBeijing(ms) === s ? ms : undefined;
}

/** Minutes since Beijing midnight. */
export function beijingMinuteOfDay(ms: number): number {
  const d = new Date(ms + OFFSET);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
}

/** Decimal as WDT returns it: a 4-dp string. */
export function dec4(v: unknown): string {
  const n = Number(v ?? 0);
  return (Number.isFinite(n) ? n : 0).toFixed(4);
}
