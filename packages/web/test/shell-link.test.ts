// Deep links that open a shell: what a URL names, and every malformed part refused with what is wrong.
import { describe, expect, it } from 'vitest';
import { shellPath } from '../src/shell/protocol.js';
import { commandText, parseShellLink, shellLinkHref } from '../src/shell/shell-link.js';
import { sessionTitle } from '../src/shell/sessions.js';

const at = { cluster: 'prod', namespace: 'shop', pod: 'api-7d9c-x2' };

describe('shell deep links', () => {
  it('reads container and a repeated command, and round-trips through the href', () => {
    const link = parseShellLink(at, 'container=app&command=sh&command=-c&command=df+-h+%2Fdata');
    expect(link).toEqual({
      ok: true,
      target: { ...at, container: 'app', command: ['sh', '-c', 'df -h /data'] },
    });
    if (!link.ok) return;
    const href = shellLinkHref(link.target);
    expect(href).toBe('/c/prod/shell/shop/api-7d9c-x2?container=app&command=sh&command=-c&command=df+-h+%2Fdata');
    const [path, search] = href.split('?');
    expect(path).toBe('/c/prod/shell/shop/api-7d9c-x2');
    expect(parseShellLink(at, search ?? '')).toEqual(link);
    // The shell WebSocket carries the command, one `command` per argument.
    expect(shellPath(link.target)).toBe(
      '/api/v1/clusters/prod/pods/shop/api-7d9c-x2/shell?container=app&command=sh&command=-c&command=df+-h+%2Fdata',
    );
    expect(sessionTitle({ ...link.target, container: 'app' })).toBe(
      "api-7d9c-x2/app @ prod/shop — sh -c 'df -h /data'",
    );
    expect(commandText(['sh', '-c', "echo 'hi' $HOME"])).toBe(`sh -c 'echo '\\''hi'\\'' $HOME'`);
  });

  it('without container or command: the container is asked for, the login shell runs', () => {
    expect(parseShellLink(at, '')).toEqual({ ok: true, target: at });
    expect(shellLinkHref(at)).toBe('/c/prod/shell/shop/api-7d9c-x2');
  });

  it('refuses malformed parts, naming them', () => {
    const err = (p: Partial<typeof at>, q = '') => {
      const r = parseShellLink({ ...at, ...p }, q);
      return r.ok ? 'accepted' : r.error;
    };
    expect(err({ namespace: 'Shop' })).toBe('"Shop" is not a namespace name (a DNS label)');
    expect(err({ pod: 'a/b' })).toBe('"a/b" is not a pod name (a DNS subdomain)');
    expect(err({}, 'container=App')).toBe('"App" is not a container name (a DNS label)');
    expect(err({}, 'container=a&container=b')).toBe('container is given more than once');
    expect(err({}, 'command=')).toBe('command is empty');
    expect(err({}, 'cmd=ls')).toBe('unknown parameter "cmd"');
    expect(err({}, Array.from({ length: 65 }, () => 'command=x').join('&'))).toBe(
      'command has 65 arguments, at most 64',
    );
    expect(err({}, `command=${'x'.repeat(4097)}`)).toBe('a command argument is longer than 4096 characters');
    expect(err({ cluster: '' })).toBe('the cluster name is missing or too long');
  });
});
