import { createRoot } from 'react-dom/client';
import { Button, ConfigProvider, Table, Form, Input, Select, Drawer, Tabs, Layout, Menu } from 'antd';
import zhCN from 'antd/locale/zh_CN';
createRoot(document.getElementById('root')!).render(
  <ConfigProvider locale={zhCN}><Layout><Menu /><Button>hi</Button><Table /><Form><Input /><Select /></Form><Drawer /><Tabs /></Layout></ConfigProvider>,
);
