// Sign-in, and the forced password change after a one-time password.
import { useEffect, useState, type SyntheticEvent } from 'react';
import { useLocation } from 'wouter';
import { ApiError, api, errorText, setCsrfToken } from '../api/client.js';
import type { AuthMethods } from '../api/types.js';
import { useSession } from '../data/session.js';

/** Sign-in refusals whose message the user should read as is (not "wrong password"). */
const SIGN_IN_REFUSALS = new Set([
  'too_many_attempts',
  'too_many_failures_from_address',
  'sign_in_busy',
  'one_time_password_expired',
  'local_accounts_disabled',
]);

/** Why the hub sent the browser back from single sign-on (`/login?ssoError=…&message=…`). */
function ssoErrorFromUrl(): string | undefined {
  const q = new URLSearchParams(window.location.search);
  const reason = q.get('ssoError');
  if (!reason) return undefined;
  // The hub's message already reads "single sign-on failed (<reason>): <why>"; say it once.
  const message = q.get('message');
  return message ? message.charAt(0).toUpperCase() + message.slice(1) : `Single sign-on failed (${reason})`;
}

export function LoginPage({ next }: { next: string }) {
  const { me, refresh } = useSession();
  const [, navigate] = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [error, setError] = useState<string | undefined>(ssoErrorFromUrl);
  const [busy, setBusy] = useState(false);
  const [methods, setMethods] = useState<AuthMethods>();
  const mustChange = me?.user.mustChangePassword === true;
  useEffect(() => {
    api<AuthMethods>('/api/v1/auth/methods')
      .then(setMethods)
      .catch(() => setMethods({ password: 'all', sso: null }));
  }, []);
  const ssoHref = methods?.sso
    ? `${methods.sso.loginUrl}?${new URLSearchParams({ returnTo: next }).toString()}`
    : undefined;
  const passwordForm = (
    <>
      <label className="field">
        <span>Username</span>
        <input
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
          autoFocus={!methods?.sso}
        />
      </label>
      <label className="field">
        <span>Password</span>
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>
    </>
  );

  async function signIn(e: SyntheticEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await api<{ csrfToken: string }>('/api/v1/auth/login', {
        method: 'POST',
        body: { username, password },
      });
      setCsrfToken(res.csrfToken);
      const m = await refresh();
      if (m && !m.user.mustChangePassword) navigate(next);
    } catch (err) {
      // Throttled, busy or an expired one-time password: the hub's message says what to do.
      if (err instanceof ApiError && SIGN_IN_REFUSALS.has(err.code)) setError(err.message);
      else if (err instanceof ApiError && err.status === 401) setError('Wrong username or password.');
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function change(e: SyntheticEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('/api/v1/auth/password', { method: 'POST', body: { current: password, next: newPassword } });
      await refresh();
      navigate(next);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login">
      {mustChange ? (
        <form onSubmit={(e) => void change(e)} aria-label="Change password">
          <h1>Choose a new password</h1>
          <p className="hint">You signed in with a one-time password. Choose your own (at least 10 characters).</p>
          <label className="field">
            <span>Current password</span>
            <input
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
          <label className="field">
            <span>New password</span>
            <input
              type="password"
              autoComplete="new-password"
              minLength={10}
              value={newPassword}
              onChange={(e) => setNewPassword(e.target.value)}
              required
            />
          </label>
          {error && (
            <div className="error-box" role="alert">
              {error}
            </div>
          )}
          <button className="primary" type="submit" disabled={busy}>
            Change password
          </button>
        </form>
      ) : (
        <form onSubmit={(e) => void signIn(e)} aria-label="Sign in">
          <h1>Sign in to Wheelhouse</h1>
          {ssoHref && methods?.sso && (
            <p>
              <a className="button primary sso" href={ssoHref}>
                Sign in with {methods.sso.name}
              </a>
            </p>
          )}
          {error && (
            <div className="error-box" role="alert">
              {error}
            </div>
          )}
          {methods?.password === 'break-glass' ? (
            <details>
              <summary>Break-glass administrator</summary>
              {passwordForm}
              <button type="submit" disabled={busy}>
                Sign in with a password
              </button>
            </details>
          ) : (
            <>
              {passwordForm}
              <button className={methods?.sso ? undefined : 'primary'} type="submit" disabled={busy}>
                Sign in
              </button>
            </>
          )}
        </form>
      )}
    </div>
  );
}
