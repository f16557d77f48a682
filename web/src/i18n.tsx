/**
 * zh-CN first, English second. Texts sit where they are used as t('中文', 'English'), so both languages are
 * written together and neither can be forgotten. The choice is kept in localStorage.
 */
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

export type Lang = 'zh' | 'en';

interface I18n {
  lang: Lang;
  setLang(l: Lang): void;
  t(zh: string, en: string): string;
}

const Ctx = createContext<I18n>({ lang: 'zh', setLang() {}, t: (zh) => zh });

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const l: Lang = localStorage.getItem('qiao.lang') === 'en' ? 'en' : 'zh';
    apply(l);
    return l;
  });
  const value = useMemo<I18n>(
    () => ({
      lang,
      setLang(l) {
        localStorage.setItem('qiao.lang', l);
        apply(l);
        setLangState(l);
      },
      t: (zh, en) => (lang === 'zh' ? zh : en),
    }),
    [lang],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** The page language and the date pickers' month and weekday names follow the choice. */
function apply(l: Lang): void {
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  dayjs.locale(l === 'zh' ? 'zh-cn' : 'en');
}

export const useI18n = () => useContext(Ctx);
export const useT = () => useContext(Ctx).t;
