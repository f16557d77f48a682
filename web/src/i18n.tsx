/**
 * zh-CN first, English second. Texts sit where they are used as t('中文', 'English'), so both languages are
 * written together and neither can be forgotten. The choice is kept in localStorage.
 */
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

export type Lang = 'zh' | 'en';

interface I18n {
  lang: Lang;
  setLang(l: Lang): void;
  t(zh: string, en: string): string;
}

const Ctx = createContext<I18n>({ lang: 'zh', setLang() {}, t: (zh) => zh });

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem('qiao.lang') === 'en' ? 'en' : 'zh'));
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang(l) {
        localStorage.setItem('qiao.lang', l);
        document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
        setLangState(l);
      },
      t: (zh, en) => (lang === 'zh' ? zh : en),
    }),
    [lang],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export const useI18n = () => useContext(Ctx);
export const useT = () => useContext(Ctx).t;
