/** 系统设置: users and roles, OpenAPI apps (secrets shown once, tokens revocable), master key, API document. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App as AntApp, Button, Card, Checkbox, Descriptions, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { ApiError, del, get, post, put } from '../api';
import { useAuth } from '../auth';
import { OriginTag, PageTitle, fmtTime } from '../components/common';
import { useT } from '../i18n';
import type { User } from '../types';

export function SystemPage() {
  const t = useT();
  const { can } = useAuth();
  if (!can('admin'))
    return (
      <div data-testid="page-system">
        <PageTitle title={t('系统设置', 'System')} />
        <Alert type="info" title={t('用户、应用与密钥只有管理员可以管理。', 'Users, apps and keys are managed by admins.')} />
        <Card style={{ marginTop: 16 }}>
          <a href="/api/docs" target="_blank" rel="noreferrer">{t('管理 API 文档 (OpenAPI)', 'Management API document (OpenAPI)')}</a>
        </Card>
      </div>
    );
  return (
    <div data-testid="page-system">
      <PageTitle title={t('系统设置', 'System')} />
      <Tabs
        items={[
          { key: 'users', label: t('用户', 'Users'), children: <UsersTab /> },
          { key: 'apps', label: t('OpenAPI 应用', 'OpenAPI apps'), children: <AppsTab /> },
          { key: 'keys', label: t('密钥', 'Keys'), children: <KeysTab /> },
          {
            key: 'api',
            label: 'API',
            children: (
              <Card>
                <p>{t('管理 API 的 OpenAPI 3 文档（JSON）；登录后或用带 admin 权限的应用令牌访问。', 'The management API as an OpenAPI 3 document (JSON); needs a session or an admin app token.')}</p>
                <a href="/api/docs" target="_blank" rel="noreferrer">/api/docs</a>
              </Card>
            ),
          },
        ]}
      />
    </div>
  );
}

function UsersTab() {
  const t = useT();
  const { message } = AntApp.useApp();
  const { user: me } = useAuth();
  const qc = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<{ users: User[] }>('/api/users').then((r) => r.users) });
  const [adding, setAdding] = useState(false);
  const [resetFor, setResetFor] = useState<User | null>(null);
  const update = useMutation({
    mutationFn: ({ id, patch }: { id: number; patch: Record<string, unknown> }) => put(`/api/users/${id}`, patch),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
    onError: (e: ApiError) => message.error(e.message),
  });
  const remove = useMutation({
    mutationFn: (id: number) => del(`/api/users/${id}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
    onError: (e: ApiError) => message.error(e.message),
  });
  const roleOptions = [
    { value: 'admin', label: t('管理员 admin（全部）', 'admin (everything)') },
    { value: 'operator', label: t('运维 operator（运行、重新排队、编辑数据）', 'operator (run, re-queue, edit records)') },
    { value: 'viewer', label: t('只读 viewer', 'viewer (read only)') },
  ];
  return (
    <>
      <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setAdding(true)} data-testid="user-add">
        {t('新建用户', 'New user')}
      </Button>
      <Table<User>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={users.data ?? []}
        data-testid="users-table"
        columns={[
          { title: t('用户名', 'User'), dataIndex: 'username', render: (u, r) => <Space>{u}{r.mustChangePassword && <Tag color="orange">{t('待改密码', 'must change password')}</Tag>}</Space> },
          { title: t('角色', 'Role'), render: (_, u) => <Select size="small" style={{ width: 260 }} value={u.role} options={roleOptions} onChange={(role) => update.mutate({ id: u.id!, patch: { role } })} /> },
          { title: t('启用', 'Active'), render: (_, u) => <Switch size="small" checked={!u.disabled} disabled={u.id === me?.id} onChange={(on) => update.mutate({ id: u.id!, patch: { disabled: !on } })} /> },
          { title: t('最近登录', 'Last sign-in'), dataIndex: 'lastLoginAt', render: fmtTime },
          {
            title: '',
            render: (_, u) => (
              <Space>
                <Button size="small" onClick={() => setResetFor(u)}>{t('重置密码', 'Reset password')}</Button>
                <Popconfirm title={t('删除用户？', 'Delete this user?')} onConfirm={() => remove.mutate(u.id!)}>
                  <Button size="small" danger disabled={u.id === me?.id}>{t('删除', 'Delete')}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {adding && (
        <UserModal
          title={t('新建用户', 'New user')}
          roleOptions={roleOptions}
          onClose={() => setAdding(false)}
          onSubmit={async (v) => {
            await post('/api/users', v);
            void qc.invalidateQueries({ queryKey: ['users'] });
          }}
        />
      )}
      {resetFor && (
        <UserModal
          title={t(`重置 ${resetFor.username} 的密码`, `Reset the password of ${resetFor.username}`)}
          reset
          onClose={() => setResetFor(null)}
          onSubmit={async (v) => {
            await put(`/api/users/${resetFor.id}`, { password: v.password });
            message.success(t('已重置；用户下次登录时需修改密码', 'Reset; the user must change it at next sign-in'));
          }}
        />
      )}
    </>
  );
}

function UserModal({ title, reset, roleOptions, onClose, onSubmit }: { title: string; reset?: boolean; roleOptions?: Array<{ value: string; label: string }>; onClose(): void; onSubmit(v: Record<string, unknown>): Promise<void> }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      onOk={async () => {
        const v = await form.validateFields();
        try {
          await onSubmit(v);
          onClose();
        } catch (e) {
          const err = e as ApiError;
          setError([err.message, ...err.issues.map((i) => `${i.path}: ${i.message}`)].join('; '));
        }
      }}
    >
      <Form form={form} layout="vertical" initialValues={{ role: 'operator', mustChangePassword: true }}>
        {!reset && (
          <Form.Item name="username" label={t('用户名', 'User name')} rules={[{ required: true }]}>
            <Input data-testid="new-username" />
          </Form.Item>
        )}
        <Form.Item name="password" label={t('初始密码（至少 10 个字符）', 'Initial password (at least 10 characters)')} rules={[{ required: true, min: 10 }]}>
          <Input.Password autoComplete="new-password" data-testid="new-password" />
        </Form.Item>
        {!reset && (
          <>
            <Form.Item name="role" label={t('角色', 'Role')}>
              <Select options={roleOptions} />
            </Form.Item>
            <Form.Item name="mustChangePassword" valuePropName="checked">
              <Checkbox>{t('首次登录须修改密码', 'Must change the password at first sign-in')}</Checkbox>
            </Form.Item>
          </>
        )}
      </Form>
      {error && <Alert type="error" title={error} />}
    </Modal>
  );
}

function AppsTab() {
  const t = useT();
  const { message, modal } = AntApp.useApp();
  const qc = useQueryClient();
  const apps = useQuery({ queryKey: ['apps'], queryFn: () => get<{ apps: Array<{ name: string; app_key: string; scopes: string[]; origin: 'workspace' | 'console'; readOnly: boolean; revokedBefore: number | null }> }>('/api/apps').then((r) => r.apps) });
  const [creating, setCreating] = useState(false);
  const [form] = Form.useForm();
  const run = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      await fn();
      message.success(ok);
      void qc.invalidateQueries({ queryKey: ['apps'] });
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };
  return (
    <>
      <Button type="primary" style={{ marginBottom: 12 }} onClick={() => setCreating(true)} data-testid="app-add">
        {t('新建应用', 'New app')}
      </Button>
      <Table
        rowKey="app_key"
        size="small"
        pagination={false}
        dataSource={apps.data ?? []}
        columns={[
          { title: t('名称', 'Name'), dataIndex: 'name' },
          { title: 'app_key', dataIndex: 'app_key', render: (k) => <Typography.Text code copyable>{k}</Typography.Text> },
          { title: t('权限', 'Scopes'), dataIndex: 'scopes', render: (s: string[]) => s.map((x) => <Tag key={x}>{x}</Tag>) },
          { title: t('来源', 'Origin'), dataIndex: 'origin', render: (o) => <OriginTag origin={o} /> },
          { title: t('令牌吊销于', 'Tokens revoked at'), dataIndex: 'revokedBefore', render: (s) => (s ? fmtTime(s * 1000) : '-') },
          {
            title: '',
            render: (_, a) => (
              <Space>
                <Popconfirm title={t('已签发的令牌将立即失效', 'Every token issued so far stops working')} onConfirm={() => run(() => post(`/api/apps/${encodeURIComponent(a.app_key)}/revoke`), t('已吊销', 'Revoked'))}>
                  <Button size="small">{t('吊销令牌', 'Revoke tokens')}</Button>
                </Popconfirm>
                {!a.readOnly && (
                  <Popconfirm title={t('删除应用？', 'Delete this app?')} onConfirm={() => run(() => del(`/api/apps/${encodeURIComponent(a.app_key)}`), t('已删除', 'Deleted'))}>
                    <Button size="small" danger>{t('删除', 'Delete')}</Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      {creating && (
        <Modal
          open
          title={t('新建应用', 'New app')}
          onCancel={() => setCreating(false)}
          onOk={async () => {
            const v = await form.validateFields();
            try {
              const r = await post<{ app_key: string; app_secret: string }>('/api/apps', v);
              setCreating(false);
              form.resetFields();
              void qc.invalidateQueries({ queryKey: ['apps'] });
              modal.success({
                title: t('应用已创建：请立即保存密钥，它只显示这一次', 'App created: save the secret now, it is shown only this once'),
                width: 560,
                content: (
                  <Descriptions
                    column={1}
                    size="small"
                    items={[
                      { label: 'app_key', children: <Typography.Text code copyable>{r.app_key}</Typography.Text> },
                      { label: 'app_secret', children: <Typography.Text code copyable data-testid="app-secret">{r.app_secret}</Typography.Text> },
                    ]}
                  />
                ),
              });
            } catch (e) {
              message.error((e as ApiError).message);
            }
          }}
        >
          <Form form={form} layout="vertical" initialValues={{ scopes: ['push'] }}>
            <Form.Item name="name" label={t('名称', 'Name')} rules={[{ required: true }]}>
              <Input />
            </Form.Item>
            <Form.Item name="scopes" label={t('权限', 'Scopes')}>
              <Checkbox.Group options={[{ value: 'push', label: t('push 推送数据', 'push: push records') }, { value: 'admin', label: t('admin 管理 API', 'admin: management API') }]} />
            </Form.Item>
          </Form>
        </Modal>
      )}
    </>
  );
}

function KeysTab() {
  const t = useT();
  const { message } = AntApp.useApp();
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => get<{ source: string; current: string; available: string[]; usage: Record<string, number> }>('/api/keys') });
  const rotate = async () => {
    try {
      const r = await post<{ to: string; reencrypted: number }>('/api/keys/rotate');
      message.success(t(`已轮换到 ${r.to}，重新加密 ${r.reencrypted} 个密钥`, `Rotated to ${r.to}; ${r.reencrypted} secret(s) re-encrypted`));
      void keys.refetch();
    } catch (e) {
      message.error((e as ApiError).message);
    }
  };
  const k = keys.data;
  return (
    <Card>
      {k && (
        <Descriptions
          column={1}
          size="small"
          items={[
            { label: t('主密钥来源', 'Master key source'), children: k.source === 'env' ? 'QIAO_MASTER_KEY' : t('数据目录中的 master.key（0600）', 'master.key in the data folder (0600)') },
            { label: t('当前密钥 ID', 'Current key id'), children: <Typography.Text code>{k.current}</Typography.Text> },
            { label: t('各密钥加密的密文数', 'Secrets per key'), children: Object.entries(k.usage).map(([id, n]) => <Tag key={id}>{`${id}: ${n}`}</Tag>) },
          ]}
        />
      )}
      <p style={{ marginTop: 12 }}>
        {t('连接器密钥与应用密钥以 AES-256-GCM 加密存储；轮换会用新密钥重新加密全部密文。使用 QIAO_MASTER_KEY 时，先把新密钥设为 QIAO_MASTER_KEY、旧密钥放入 QIAO_MASTER_KEY_PREVIOUS 再轮换。', 'Connector and app secrets are stored encrypted (AES-256-GCM); rotating re-encrypts them all under a new key. With QIAO_MASTER_KEY: set the new key there and the old one in QIAO_MASTER_KEY_PREVIOUS, then rotate.')}
      </p>
      <Popconfirm title={t('用新密钥重新加密所有密钥？', 'Re-encrypt every secret under a new key?')} onConfirm={rotate}>
        <Button>{t('轮换密钥', 'Rotate key')}</Button>
      </Popconfirm>
    </Card>
  );
}
