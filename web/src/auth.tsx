import { useQueryClient } from '@tanstack/react-query';
import { Alert, App as AntApp, Button, Card, Form, Input, Space } from 'antd';
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiError, get, post, setCsrfToken, setOnUnauthorized } from './api';
import { useI18n, useT } from './i18n';
import type { User } from './types';

interface AuthState {
  user: User | null;
  loading: boolean;
  refresh(): Promise<void>;
  logout(): Promise<void>;
  can(role: User['role']): boolean;
}

const Ctx = createContext<AuthState>({ user: null, loading: true, async refresh() {}, async logout() {}, can: () => false });
export const useAuth = () => useContext(Ctx);
const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);
  const qc = useQueryClient();
  const refresh = useCallback(async () => {
    try {
      const me = await get<{ user: User; csrfToken: string | null }>('/api/auth/me');
      setCsrfToken(me.csrfToken);
      setUser(me.user);
    } catch {
      setCsrfToken(null);
      setUser(null);
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    setOnUnauthorized(() => {
      setCsrfToken(null);
      setUser(null);
    });
    void refresh();
  }, [refresh]);
  const logout = useCallback(async () => {
    try {
      await post('/api/auth/logout');
    } finally {
      setCsrfToken(null);
      setUser(null);
      qc.clear();
    }
  }, [qc]);
  const can = useCallback((role: User['role']) => Boolean(user && RANK[user.role] >= RANK[role]), [user]);
  return <Ctx.Provider value={{ user, loading, refresh, logout, can }}>{children}</Ctx.Provider>;
}

export function LoginPage() {
  const t = useT();
  const { lang, setLang } = useI18n();
  const { refresh } = useAuth();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const onFinish = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await post<{ csrfToken: string }>('/api/auth/login', v);
      setCsrfToken(r.csrfToken);
      await refresh();
    } catch (e) {
      const err = e as ApiError;
      setError(err.status === 429 ? t('尝试次数过多，请稍后再试：', 'Too many attempts: ') + err.message : err.status === 401 ? t('用户名或密码错误', 'Wrong user name or password') : err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login-wrap">
      <Card className="login-card" title={<Space><img src="/favicon.svg" width={24} height={24} alt="" />{t('桥 Qiao 集成平台', 'Qiao integration platform')}</Space>} extra={<a onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>{lang === 'zh' ? 'English' : '中文'}</a>}>
        <Form layout="vertical" onFinish={onFinish} requiredMark={false}>
          <Form.Item name="username" label={t('用户名', 'User name')} rules={[{ required: true }]}>
            <Input autoComplete="username" autoFocus data-testid="login-username" />
          </Form.Item>
          <Form.Item name="password" label={t('密码', 'Password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" data-testid="login-password" />
          </Form.Item>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} data-testid="login-error" />}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">
            {t('登录', 'Sign in')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}

export function ChangePasswordForm({ forced, onDone }: { forced?: boolean; onDone?: () => void }) {
  const t = useT();
  const { refresh } = useAuth();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string>();
  const onFinish = async (v: { current: string; password: string }) => {
    try {
      await post('/api/auth/password', v);
      message.success(t('密码已修改', 'Password changed'));
      form.resetFields();
      await refresh();
      onDone?.();
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  return (
    <Form form={form} layout="vertical" onFinish={onFinish} style={{ maxWidth: 380 }}>
      {forced && <Alert type="warning" title={t('首次登录请修改一次性密码', 'Change your one-time password first')} style={{ marginBottom: 16 }} />}
      <Form.Item name="current" label={t('当前密码', 'Current password')} rules={[{ required: true }]}>
        <Input.Password autoComplete="current-password" data-testid="pw-current" />
      </Form.Item>
      <Form.Item name="password" label={t('新密码（至少 10 个字符）', 'New password (at least 10 characters)')} rules={[{ required: true, min: 10 }]}>
        <Input.Password autoComplete="new-password" data-testid="pw-new" />
      </Form.Item>
      {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
      <Button type="primary" htmlType="submit" data-testid="pw-submit">
        {t('修改密码', 'Change password')}
      </Button>
    </Form>
  );
}
