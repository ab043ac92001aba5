/* global localStorage, document */
// Theme before first paint, so a dark-theme user never sees a white flash.
// (A file, not an inline script: the hub's CSP allows scripts from 'self' only.)
try {
  const t = localStorage.getItem('wh-theme');
  if (t === 'dark' || t === 'light') document.documentElement.dataset.theme = t;
} catch {
  // storage disabled: follow the system theme
}
