// The completion script, generated from the real command tree and run by a real bash.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandTree, completionScript } from '../src/completion.js';
import { buildProgram } from '../src/program.js';

const dir = mkdtempSync(join(tmpdir(), 'wh-completion-'));

/**
 * What bash offers for a command line whose last word is being typed. The
 * hub's part (`wheelhouse __complete …`) is answered by a shell function that
 * echoes its arguments, so the test sees what the script asks the hub for.
 */
function complete(shell: 'bash' | 'zsh', words: string[]): string[] {
  const script = join(dir, `wheelhouse.${shell}`);
  writeFileSync(script, completionScript(buildProgram(), shell));
  const driver = [
    `source ${script}`,
    'wheelhouse() { shift; local IFS=,; printf "%s\\n" web-1 web-2 "hub:$*"; }',
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
    '_wheelhouse',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  return execFileSync('bash', ['-c', driver], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('completion generated from the command tree', () => {
  it('lists every visible command with its flags and choices (the hidden __complete is left out)', () => {
    const tree = commandTree(buildProgram());
    const root = tree.find((n) => n.path === 'wheelhouse');
    expect(root?.subcommands).toEqual(
      expect.arrayContaining(['get', 'timeline', 'logs', 'audit', 'actions', 'completion', 'cluster', 'action']),
    );
    expect(root?.subcommands).not.toContain('__complete');
    const get = tree.find((n) => n.path === 'wheelhouse get');
    expect(get?.flags).toEqual(
      expect.arrayContaining(['-n', '--namespace', '-A', '-l', '-o', '--output', '--cluster']),
    );
    expect(get?.valued).toContain('--namespace');
    expect(get?.valued).not.toContain('-A');
    expect(get?.values['-o']).toBe('json yaml wide');
    expect(get?.values['--namespace']).toBe('@namespaces');
    expect(tree.find((n) => n.path === 'wheelhouse cluster list')?.values['--output']).toBe('json yaml wide');
  });

  it('bash completes commands, subcommands, flags and flag choices', () => {
    expect(complete('bash', ['wheelhouse', 'ti'])).toEqual(['timeline']);
    expect(complete('bash', ['wheelhouse', 'cluster', ''])).toEqual(['add', 'revoke', 'list']);
    expect(complete('bash', ['wheelhouse', 'get', 'po', '--al'])).toEqual(['--all-namespaces']);
    expect(complete('bash', ['wheelhouse', 'get', 'po', '-o', ''])).toEqual(['json', 'yaml', 'wide']);
    expect(complete('bash', ['wheelhouse', 'token', 'list', '-o', 'y'])).toEqual(['yaml']);
    expect(complete('bash', ['wheelhouse', 'timeline', 'deploy/web', '--type', 'container-'])).toEqual([
      'container-restart',
    ]);
    expect(complete('bash', ['wheelhouse', 'audit', '--action', 'auth.'])).toEqual([
      'auth.login',
      'auth.logout',
      'auth.sso',
      'auth.sso_refresh',
      'auth.sso_session_end',
      'auth.password_change',
    ]);
    expect(complete('bash', ['wheelhouse', 'completion', ''])).toEqual(['bash', 'zsh']);
  });

  it('bash completes kinds with their short names, and kind/ for targets', () => {
    expect(complete('bash', ['wheelhouse', 'get', 'dep'])).toEqual(['deploy', 'deployments', 'deployment']);
    expect(complete('bash', ['wheelhouse', 'get', 'pv'])).toEqual(['pvc']);
    expect(complete('bash', ['wheelhouse', 'get', 'persistentv'])).toEqual([
      'persistentvolumeclaims',
      'persistentvolumeclaim',
    ]);
    expect(complete('bash', ['wheelhouse', 'timeline', 'st'])).toEqual(['sts/', 'statefulsets/', 'statefulset/']);
  });

  it('asks the hub for names, passing the namespace and cluster already typed', () => {
    expect(complete('bash', ['wheelhouse', 'get', 'po', '-n', 'shop', '--cluster', 'prod', ''])).toEqual([
      'web-1',
      'web-2',
      'hub:names,po,--namespace,shop,--cluster,prod',
    ]);
    expect(complete('bash', ['wheelhouse', 'timeline', 'deploy/w'])).toEqual(['deploy/web-1', 'deploy/web-2']);
    expect(complete('bash', ['wheelhouse', 'logs', '-n', 'shop', 'w'])).toEqual(['web-1', 'web-2']);
    expect(complete('bash', ['wheelhouse', 'get', 'po', '-n', ''])).toEqual(['web-1', 'web-2', 'hub:namespaces']);
    // No names after kind/name: `get po/web-1` already says what it wants.
    expect(complete('bash', ['wheelhouse', 'get', 'po/web-1', ''])).toEqual([]);
  });

  it('the zsh script loads bashcompinit and registers the same function', () => {
    const zsh = completionScript(buildProgram(), 'zsh');
    expect(zsh.startsWith('#compdef wheelhouse\n')).toBe(true);
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh).toContain('setopt localoptions ksharrays shwordsplit');
    expect(zsh.trimEnd().endsWith('complete -o default -F _wheelhouse wheelhouse')).toBe(true);
  });
});
