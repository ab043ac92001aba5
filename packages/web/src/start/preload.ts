// The console's start-up preload (issue 18: first rows ≤ 1 s). index.html
// runs this tiny module as soon as the page's HTML is in — before the
// console's main script has arrived, let alone asked who is signed in — and it
// sends the session check (`/me`) and the opened page's first requests
// (first-requests.ts) at once, in parallel, instead of one after the other.
// The console's `api()` takes these answers instead of asking again.
//
// Nothing here is shown by itself: an answer is used only when the console
// asks for the same URL, which it does only once `/me` has said who is signed
// in (a 401 sends them to sign-in and the preloaded answers are dropped unread).
// The hub authorizes each request as it would the page's own. Answers not
// taken within a few seconds are dropped (the page was left, or the user
// changed): nothing stale is shown later.
import { firstRequests } from './first-requests.js';

/** Preloaded answers older than this are not used (a page asks its own fresh ones). */
const MAX_AGE_MS = 10_000;

const preloaded = new Map<string, { at: number; response: Promise<Response> }>();

function send(url: string): void {
  const response = fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  // An unread failure is the page's to see when it asks (its own fetch would fail alike).
  response.catch(() => undefined);
  preloaded.set(url, { at: performance.now(), response });
}

/** The preloaded answer to a GET of this URL, once; undefined when there is none (or it is too old). */
export function takePreloaded(url: string): Promise<Response> | undefined {
  const p = preloaded.get(url);
  if (!p) return undefined;
  preloaded.delete(url);
  return performance.now() - p.at <= MAX_AGE_MS ? p.response : undefined;
}

/** Forgets every preloaded answer (sign-out, an expired session). */
export function dropPreloaded(): void {
  preloaded.clear();
}

// In the browser only (unit tests import the console's modules under Node).
if (typeof window !== 'undefined') {
  performance.mark('wh:preload');
  send('/api/v1/me');
  for (const url of firstRequests(window.location.pathname, window.location.search)) send(url);
}
