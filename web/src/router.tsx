import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

// A tiny client router on the History API: the server answers every page path with index.html,
// so reload, back and forward all land here and render from `location.pathname`.

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());

// After a page change inside the app (link, back, forward) the new page's heading takes focus, so
// screen readers announce it; on a first load the browser's own focus handling stays untouched.
let focusHeadingOnMount = false;
window.addEventListener('popstate', () => {
  focusHeadingOnMount = true;
  notify();
});

// A link from an email pasted into a tab already showing its page changes only the fragment: no
// reload happens, so count such arrivals and let the page start afresh (see usePageKey).
let linkArrivals = 0;
window.addEventListener('hashchange', () => {
  if (!/[#&]token=/.test(location.hash)) return;
  linkArrivals += 1;
  notify();
});

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => normalise(location.pathname));
}

/** Changes whenever the page must start afresh: a new path, or a new link token in the fragment. */
export function usePageKey(): string {
  return useSyncExternalStore(subscribe, () => `${normalise(location.pathname)}#${linkArrivals}`);
}

function normalise(pathname: string): string {
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  focusHeadingOnMount = true;
  notify();
}

/** An ordinary link that changes page without a reload; modified clicks still open new tabs. */
export function Link({ to, onClick, ...rest }: { to: string } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  function handleClick(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (rest.target && rest.target !== '_self') return;
    event.preventDefault();
    navigate(to);
  }
  return <a href={to} onClick={handleClick} {...rest} />;
}

/**
 * Sets the document title for the page, so each page is announced and listed by its own name, and
 * moves focus to the page's main heading after an in-app page change. Every page calls it once it
 * renders its heading (pages load lazily, so the layout cannot do this itself).
 */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · TotalOne Signup`;
    if (!focusHeadingOnMount) return;
    const heading = document.querySelector<HTMLElement>('#main h1');
    if (!heading) return;
    focusHeadingOnMount = false;
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }, [title]);
}
