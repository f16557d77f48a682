/**
 * Alerts: when a scheme's new errors or its backlog cross a threshold, POST to a webhook — 钉钉 (DingTalk),
 * 企业微信 (WeCom) and 飞书 (Feishu) robots in their own JSON formats, or plain JSON. Only state changes are sent
 * (firing, then resolved), so an outage produces one alert, not thousands; the firing state is persisted, so a
 * restart during an outage does not repeat it.
 */
import { createHmac } from 'node:crypto';
import type { Issue } from '../errors.ts';
import type { Store } from '../store/types.ts';

export type AlertFormat = 'dingtalk' | 'wecom' | 'feishu' | 'json';

export interface AlertRule {
  name: string;
  url: string;
  format: AlertFormat;
  /** Scheme ids this rule watches; absent = every scheme. */
  schemes?: string[];
  /** Fire when at least this many records became errors within the window. */
  errorThreshold?: number;
  /** Fire when pending + queued records reach this. */
  backlogThreshold?: number;
  windowMinutes?: number;
  /** DingTalk / Feishu robot signing secret (加签). */
  secret?: string;
}

export interface AlertEvent {
  rule: string;
  scheme: string;
  kind: 'errors' | 'backlog';
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  at: string;
}

const FORMATS: AlertFormat[] = ['dingtalk', 'wecom', 'feishu', 'json'];

/** Validates `alerts` from workspace.json; problems as `workspace.json: alerts[i].x`. */
export function checkAlertRules(raw: unknown, issues: Issue[]): AlertRule[] {
  const at = (p: string) => `workspace.json: ${p}`;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    issues.push({ path: at('alerts'), message: 'must be a list of alert rules' });
    return [];
  }
  const out: AlertRule[] = [];
  raw.forEach((r: Record<string, unknown>, i) => {
    const p = (k: string) => at(`alerts[${i}].${k}`);
    const before = issues.length;
    if (typeof r !== 'object' || r === null) return void issues.push({ path: at(`alerts[${i}]`), message: 'must be an object' });
    if (typeof r.name !== 'string' || !r.name) issues.push({ path: p('name'), message: 'required' });
    if (typeof r.url !== 'string' || !/^https?:\/\//.test(r.url)) issues.push({ path: p('url'), message: 'an http(s) webhook URL' });
    if (!FORMATS.includes(r.format as AlertFormat)) issues.push({ path: p('format'), message: `one of ${FORMATS.join(', ')}` });
    for (const k of ['errorThreshold', 'backlogThreshold', 'windowMinutes'])
      if (r[k] !== undefined && !(typeof r[k] === 'number' && (r[k] as number) > 0)) issues.push({ path: p(k), message: 'a number > 0' });
    if (r.errorThreshold === undefined && r.backlogThreshold === undefined)
      issues.push({ path: p('errorThreshold'), message: 'give errorThreshold and/or backlogThreshold' });
    if (r.schemes !== undefined && !(Array.isArray(r.schemes) && r.schemes.every((s) => typeof s === 'string')))
      issues.push({ path: p('schemes'), message: 'a list of scheme ids' });
    if (issues.length === before) out.push(r as unknown as AlertRule);
  });
  return out;
}

export function alertText(e: AlertEvent): string {
  const what = e.kind === 'errors' ? `${e.value} 条记录出错 (阈值 ${e.threshold})` : `积压 ${e.value} 条记录 (阈值 ${e.threshold})`;
  return e.state === 'firing'
    ? `【桥 Qiao 告警】集成方案 ${e.scheme}: ${what}。规则 ${e.rule}, ${e.at}`
    : `【桥 Qiao 恢复】集成方案 ${e.scheme}: ${e.kind === 'errors' ? '错误' : '积压'}已恢复 (当前 ${e.value})。规则 ${e.rule}, ${e.at}`;
}

/** The webhook request for a rule's format, signed where the robot wants it. */
export function webhookRequest(rule: AlertRule, e: AlertEvent, nowMs = Date.now()): { url: string; body: unknown } {
  const text = alertText(e);
  switch (rule.format) {
    case 'dingtalk': {
      let url = rule.url;
      if (rule.secret) {
        const sign = createHmac('sha256', rule.secret).update(`${nowMs}\n${rule.secret}`).digest('base64');
        url += `${url.includes('?') ? '&' : '?'}timestamp=${nowMs}&sign=${encodeURIComponent(sign)}`;
      }
      return { url, body: { msgtype: 'text', text: { content: text } } };
    }
    case 'wecom':
      return { url: rule.url, body: { msgtype: 'text', text: { content: text } } };
    case 'feishu': {
      const body: Record<string, unknown> = { msg_type: 'text', content: { text } };
      if (rule.secret) {
        const ts = Math.floor(nowMs / 1000);
        body.timestamp = String(ts);
        body.sign = createHmac('sha256', `${ts}\n${rule.secret}`).update('').digest('base64');
      }
      return { url: rule.url, body };
    }
    default:
      return { url: rule.url, body: { ...e, text } };
  }
}

export interface AlertMonitorOptions {
  store: Store;
  rules: AlertRule[];
  schemeIds: () => string[];
  intervalMs?: number;
  log?: { warn(obj: unknown, msg?: string): void };
  post?: (url: string, body: unknown) => Promise<void>;
}

export class AlertMonitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly sent: AlertEvent[] = [];

  constructor(private readonly o: AlertMonitorOptions) {}

  start(): void {
    if (!this.o.rules.length) return;
    this.timer = setInterval(() => void this.check(), this.o.intervalMs ?? 30_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One evaluation of every rule against every watched scheme; sends only state changes. */
  check(now = Date.now()): Promise<void> {
    this.running = (this.running ?? Promise.resolve()).then(() => this.evaluate(now));
    return this.running;
  }

  private async evaluate(now: number): Promise<void> {
    for (const rule of this.o.rules) {
      const window = (rule.windowMinutes ?? 5) * 60_000;
      for (const scheme of this.o.schemeIds()) {
        if (rule.schemes && !rule.schemes.includes(scheme)) continue;
        if (rule.errorThreshold !== undefined) {
          const n = await this.o.store.countErrorsSince(scheme, now - window);
          await this.transition(rule, scheme, 'errors', n, rule.errorThreshold, now);
        }
        if (rule.backlogThreshold !== undefined) {
          const c = await this.o.store.countByStatus(scheme);
          await this.transition(rule, scheme, 'backlog', (c.pending ?? 0) + (c.queued ?? 0), rule.backlogThreshold, now);
        }
      }
    }
  }

  private async transition(rule: AlertRule, scheme: string, kind: AlertEvent['kind'], value: number, threshold: number, now: number) {
    const key = `alert:${rule.name}:${scheme}:${kind}`;
    const firing = (await this.o.store.getState<{ firing: boolean }>(key))?.firing ?? false;
    const should = value >= threshold;
    if (should === firing) return;
    const event: AlertEvent = { rule: rule.name, scheme, kind, state: should ? 'firing' : 'resolved', value, threshold, at: new Date(now).toISOString() };
    const { url, body } = webhookRequest(rule, event, now);
    try {
      await (this.o.post ?? postJson)(url, body);
      await this.o.store.setState(key, { firing: should });
      this.sent.push(event);
    } catch (err) {
      // Not recorded as sent: the next check tries again.
      this.o.log?.warn({ err: (err as Error).message, rule: rule.name, scheme }, 'alert webhook failed');
    }
  }
}

async function postJson(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  if (!r.ok) throw new Error(`webhook answered HTTP ${r.status}`);
  await r.arrayBuffer();
}
