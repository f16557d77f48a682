/** 推送帮助: for an OpenCallback scheme, where to push, an example body from its fields, and copyable curl lines. */
import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Descriptions, Empty, Select, Space, Steps, Typography } from 'antd';
import { get } from '../api';
import { JsonBlock, PageTitle } from '../components/common';
import { useT } from '../i18n';
import { navigate } from '../router';
import { useSchemes } from './Schemes';

interface Help {
  push: boolean;
  message?: string;
  url: string;
  legacyUrl: string;
  oauthUrl: string;
  appKey: string | null;
  example: unknown;
  curl: { token: string; push: string };
}

export function PushHelpPage({ schemeId }: { schemeId?: string }) {
  const t = useT();
  const schemes = useSchemes();
  const pushable = (schemes.data ?? []).filter((s) => s.source.api === 'OpenCallback');
  const id = schemeId ?? pushable[0]?.id;
  const help = useQuery({ queryKey: ['push-help', id], queryFn: () => get<Help>(`/api/schemes/${encodeURIComponent(id!)}/push-help`), enabled: Boolean(id) });
  const h = help.data;
  return (
    <div data-testid="page-push">
      <PageTitle
        title={t('推送帮助', 'Push help')}
        extra={
          <Select
            style={{ width: 360 }}
            value={id}
            placeholder={t('选择推送型方案', 'Pick a push scheme')}
            options={pushable.map((s) => ({ value: s.id, label: `${s.name} (${s.id})` }))}
            onChange={(v) => navigate(`/push?scheme=${encodeURIComponent(v)}`)}
          />
        }
      />
      {!id && <Empty description={t('没有 OpenCallback 推送型方案', 'No OpenCallback (push) schemes')} />}
      {h && !h.push && <Alert type="info" title={h.message} />}
      {h?.push && (
        <Space orientation="vertical" style={{ width: '100%' }} size="large">
          <Card size="small">
            <Descriptions
              column={1}
              size="small"
              items={[
                { label: t('推送地址', 'Push URL'), children: <Typography.Text copyable code data-testid="push-url">{h.url}</Typography.Text> },
                { label: t('旧版地址（轻易云兼容）', 'Older QEasy path'), children: <Typography.Text copyable code>{h.legacyUrl}</Typography.Text> },
                { label: t('获取令牌', 'Get a token'), children: <Typography.Text copyable code>{`POST ${h.oauthUrl}  {"app_key", "app_secret"}`}</Typography.Text> },
                { label: t('应用 app_key', 'App key'), children: h.appKey ? <Typography.Text code>{h.appKey}</Typography.Text> : t('在 系统设置 → 应用 中创建带 push 权限的应用', 'Create an app with the push scope under System → Apps') },
              ]}
            />
          </Card>
          <Steps
            orientation="vertical"
            items={[
              {
                title: t('1. 用应用密钥换取访问令牌（2 小时有效）', '1. Trade the app secret for an access token (valid 2 hours)'),
                content: <Typography.Paragraph copyable={{ text: h.curl.token }}><pre className="json-block">{h.curl.token}</pre></Typography.Paragraph>,
              },
              {
                title: t('2. 推送数据（把 ACCESS_TOKEN 换成上一步的 access_token）', '2. Push records (replace ACCESS_TOKEN with the access_token from step 1)'),
                content: <Typography.Paragraph copyable={{ text: h.curl.push }}><pre className="json-block" data-testid="push-curl">{h.curl.push}</pre></Typography.Paragraph>,
              },
              {
                title: t('3. 每条数据都有自己的结果：accepted / duplicate / filtered / rejected（带字段路径）', '3. Each record gets its own result: accepted / duplicate / filtered / rejected (with field paths)'),
              },
            ]}
          />
          <Card size="small" title={t('示例请求体（按方案的源字段生成）', 'Example body (from the scheme’s source fields)')}>
            <Typography.Paragraph copyable={{ text: JSON.stringify(h.example, null, 2) }} style={{ marginBottom: 0 }}>
              <JsonBlock value={h.example} maxHeight={480} testId="push-example" />
            </Typography.Paragraph>
          </Card>
        </Space>
      )}
    </div>
  );
}
