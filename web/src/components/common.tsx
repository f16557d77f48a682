import { Tag, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useT } from '../i18n';

const STATUS_COLOR: Record<string, string> = {
  pending: 'default',
  queued: 'processing',
  done: 'success',
  error: 'error',
  duplicate: 'purple',
  ignored: 'warning',
};

export function useStatusLabel() {
  const t = useT();
  return (s: string) =>
    ({
      pending: t('等待中', 'pending'),
      queued: t('队列中', 'queued'),
      done: t('已完成', 'done'),
      error: t('错误的', 'error'),
      duplicate: t('重复的', 'duplicate'),
      ignored: t('已忽略', 'ignored'),
    })[s] ?? s;
}

export function StatusTag({ status }: { status: string }) {
  const label = useStatusLabel();
  return (
    <Tag color={STATUS_COLOR[status] ?? 'default'} data-status={status}>
      {label(status)}
    </Tag>
  );
}

export function OriginTag({ origin }: { origin: 'workspace' | 'console' }) {
  const t = useT();
  return origin === 'workspace' ? (
    <Tag color="gold" title={t('来自工作区文件，控制台中只读', 'From a workspace file; read-only in the console')}>
      {t('工作区文件', 'workspace file')}
    </Tag>
  ) : (
    <Tag color="blue">{t('控制台', 'console')}</Tag>
  );
}

export function JsonBlock({ value, maxHeight = 360, testId }: { value: unknown; maxHeight?: number; testId?: string }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <pre className="json-block" style={{ maxHeight }} data-testid={testId}>
      {text}
    </pre>
  );
}

export function PageTitle({ title, extra }: { title: ReactNode; extra?: ReactNode }) {
  return (
    <div className="page-title">
      <Typography.Title level={3} style={{ margin: 0 }}>
        {title}
      </Typography.Title>
      <div>{extra}</div>
    </div>
  );
}

export const fmtTime = (ms: number | null | undefined) => {
  if (!ms) return '-';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

/** Params that carry JSON as text (WDT's trade_list) are shown as the JSON they hold. */
export function expandJsonStrings(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string' && /^\s*[[{]/.test(x)) {
      try {
        out[k] = JSON.parse(x);
        continue;
      } catch {
        /* plain text */
      }
    }
    out[k] = x;
  }
  return out;
}
