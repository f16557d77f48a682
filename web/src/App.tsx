import {
  ApiOutlined,
  AppstoreOutlined,
  DashboardOutlined,
  DatabaseOutlined,
  FileSearchOutlined,
  LogoutOutlined,
  SendOutlined,
  SettingOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { Button, Card, Dropdown, Layout, Menu, Spin, Tag } from 'antd';
import { AuthProvider, ChangePasswordForm, LoginPage, useAuth } from './auth';
import { useI18n, useT } from './i18n';
import { ConnectorsPage } from './pages/Connectors';
import { DashboardPage } from './pages/Dashboard';
import { DataPage } from './pages/Data';
import { LogsPage } from './pages/Logs';
import { PushHelpPage } from './pages/PushHelp';
import { SchemeEditorPage } from './pages/SchemeEditor';
import { SchemesPage } from './pages/Schemes';
import { SystemPage } from './pages/System';
import { navigate, useRoute } from './router';

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}

function Shell() {
  const { user, loading, logout } = useAuth();
  const { lang, setLang } = useI18n();
  const t = useT();
  const route = useRoute();
  if (loading)
    return (
      <div className="login-wrap">
        <Spin size="large" />
      </div>
    );
  if (!user) return <LoginPage />;
  if (user.mustChangePassword)
    return (
      <div className="login-wrap">
        <Card title={t('修改密码', 'Change password')} className="login-card">
          <ChangePasswordForm forced />
        </Card>
      </div>
    );
  const section = route.parts[0] ?? 'dashboard';
  const items = [
    { key: 'dashboard', icon: <DashboardOutlined />, label: t('概览', 'Overview') },
    { key: 'connectors', icon: <ApiOutlined />, label: t('连接器', 'Connectors') },
    { key: 'schemes', icon: <AppstoreOutlined />, label: t('集成方案', 'Schemes') },
    { key: 'data', icon: <DatabaseOutlined />, label: t('数据管理', 'Data') },
    { key: 'logs', icon: <FileSearchOutlined />, label: t('日志', 'Logs') },
    { key: 'push', icon: <SendOutlined />, label: t('推送帮助', 'Push help') },
    { key: 'system', icon: <SettingOutlined />, label: t('系统设置', 'System') },
  ];
  const roleLabel = { admin: t('管理员', 'admin'), operator: t('运维', 'operator'), viewer: t('只读', 'viewer') }[user.role];
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={64} width={200}>
        <div className="app-logo">
          <img src="/favicon.svg" alt="" />
          <span>桥 Qiao</span>
        </div>
        <Menu theme="dark" mode="inline" selectedKeys={[section]} items={items} onClick={(e) => navigate(`/${e.key}`)} data-testid="main-menu" />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="app-header">
          <Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
            {lang === 'zh' ? 'English' : '中文'}
          </Button>
          <Dropdown
            menu={{
              items: [
                { key: 'account', icon: <UserOutlined />, label: t('修改密码', 'Change password'), onClick: () => navigate('/account') },
                { key: 'logout', icon: <LogoutOutlined />, label: t('退出登录', 'Sign out'), onClick: () => void logout() },
              ],
            }}
          >
            <Button type="text" data-testid="user-menu">
              <UserOutlined /> {user.username} <Tag style={{ marginLeft: 6 }}>{roleLabel}</Tag>
            </Button>
          </Dropdown>
        </Layout.Header>
        <Layout.Content className="app-content">
          <Page section={section} parts={route.parts} query={route.query} />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

function Page({ section, parts, query }: { section: string; parts: string[]; query: URLSearchParams }) {
  const t = useT();
  switch (section) {
    case 'dashboard':
      return <DashboardPage />;
    case 'connectors':
      return <ConnectorsPage />;
    case 'schemes':
      if (parts[1] === 'new') return <SchemeEditorPage key="new" copyOf={query.get('copy') ?? undefined} />;
      if (parts[1]) return <SchemeEditorPage key={parts[1]} id={parts[1]} />;
      return <SchemesPage />;
    case 'data':
      return <DataPage schemeId={query.get('scheme') ?? undefined} />;
    case 'logs':
      return <LogsPage />;
    case 'push':
      return <PushHelpPage schemeId={query.get('scheme') ?? undefined} />;
    case 'system':
      return <SystemPage />;
    case 'account':
      return (
        <Card title={t('修改密码', 'Change password')}>
          <ChangePasswordForm />
        </Card>
      );
    default:
      return <DashboardPage />;
  }
}
