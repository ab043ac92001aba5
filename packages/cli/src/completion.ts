// Shell completion generated from the command tree: every command, subcommand,
// flag and flag choice comes from commander's own definitions, so a new flag
// completes without touching this file. What only the hub knows (names of
// objects, namespaces, clusters) comes from `wheelhouse __complete …` at TAB time.
// zsh runs the same function through bashcompinit (with ksharrays and
// shwordsplit, so arrays and word splitting behave as in bash).
import type { Command, Option } from 'commander';
import { ACTIONS, AUDIT_ACTION_KEYS, AUDIT_OUTCOMES, TIMELINE_EVENT_TYPES } from '@wheelhouse/protocol';
import { kindWords } from './kinds.js';

/** What a positional argument completes to, by command path; `...` repeats the last. */
export const POSITIONALS: Record<string, string[]> = {
  'wheelhouse get': ['kind', 'names...'],
  'wheelhouse timeline': ['target'],
  'wheelhouse logs': ['pod'],
  'wheelhouse shell': ['podname'],
  'wheelhouse action': ['action', 'target'],
  'wheelhouse completion': ['shells'],
};

/** Fixed values of flags that take free text but have a known vocabulary. */
const FLAG_WORDS: Record<string, readonly string[]> = {
  '--type': TIMELINE_EVENT_TYPES,
  '--action': AUDIT_ACTION_KEYS,
  '--outcome': AUDIT_OUTCOMES,
};

/** Flags whose values the hub knows: completed through `wheelhouse __complete <what>`. */
const FLAG_DYNAMIC: Record<string, string> = {
  '--namespace': 'namespaces',
  '-n': 'namespaces',
  '--cluster': 'clusters',
};

export interface CommandNode {
  /** `wheelhouse cluster list` */
  path: string;
  subcommands: string[];
  flags: string[];
  /** Flags that take a value (the next word is theirs). */
  valued: string[];
  /** Per flag: its fixed values, or `@what` for the hub's. */
  values: Record<string, string>;
}

const isHidden = (c: Command): boolean => (c as unknown as { _hidden?: boolean })._hidden === true;

/** Every visible command of the tree with its flags, depth first. */
export function commandTree(root: Command): CommandNode[] {
  const out: CommandNode[] = [];
  const walk = (cmd: Command, path: string): void => {
    const subs = cmd.commands.filter((c) => !isHidden(c));
    const options = cmd.options.filter((o: Option) => !o.hidden);
    const node: CommandNode = {
      path,
      subcommands: subs.flatMap((c) => [c.name(), ...c.aliases()]),
      flags: [...options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f)), '-h', '--help'],
      valued: options
        .filter((o) => o.required || o.optional)
        .flatMap((o) => [o.short, o.long].filter((f): f is string => !!f)),
      values: {},
    };
    for (const o of options) {
      if (!(o.required || o.optional)) continue;
      const words = o.argChoices ?? (o.long ? FLAG_WORDS[o.long] : undefined);
      const dynamic = o.long ? FLAG_DYNAMIC[o.long] : undefined;
      const value = words ? words.join(' ') : dynamic ? `@${dynamic}` : undefined;
      if (value === undefined) continue;
      for (const f of [o.short, o.long]) if (f) node.values[f] = value;
    }
    out.push(node);
    for (const c of subs) walk(c, `${path} ${c.name()}`);
  };
  // Paths start with the program's name: bash has no empty key in an associative array.
  walk(root, root.name());
  return out;
}

/** A word as a bash single-quoted string. */
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The data of the tree as bash associative arrays (also valid zsh). */
function tables(nodes: CommandNode[]): string {
  const entries = (pick: (n: CommandNode) => [string, string][]): string =>
    nodes
      .flatMap(pick)
      .map(([k, v]) => `  [${q(k)}]=${q(v)}`)
      .join('\n');
  return [
    `declare -gA __wheelhouse_sub=(\n${entries((n) => [[n.path, n.subcommands.join(' ')]])}\n)`,
    `declare -gA __wheelhouse_flags=(\n${entries((n) => [[n.path, n.flags.join(' ')]])}\n)`,
    // Padded with spaces so a flag is found with *" $flag "*.
    `declare -gA __wheelhouse_valued=(\n${entries((n) => [[n.path, ` ${n.valued.join(' ')} `]])}\n)`,
    `declare -gA __wheelhouse_values=(\n${entries((n) => Object.entries(n.values).map(([f, v]) => [`${n.path}|${f}`, v]))}\n)`,
    `declare -gA __wheelhouse_args=(\n${entries(() => [])}${Object.entries(POSITIONALS)
      .map(([k, v]) => `  [${q(k)}]=${q(v.join(' '))}`)
      .join('\n')}\n)`,
    `__wheelhouse_kinds=${q(kindWords().join(' '))}`,
    `__wheelhouse_actions=${q(Object.keys(ACTIONS).join(' '))}`,
    `__wheelhouse_workloads=${q('deploy/ sts/ ds/ rs/ job/ cj/ svc/')}`,
  ].join('\n');
}

// The completion function: finds the command path and the positional
// arguments before the cursor, then offers flags, flag values, subcommands or
// what the next argument is. Bash 4+ and zsh (through bashcompinit).
const FUNCTION = `
__wheelhouse_hub() {
  # What only the hub knows; quiet and quick when it cannot answer.
  wheelhouse __complete "$@" 2>/dev/null
}

_wheelhouse() {
  [[ -n "\${ZSH_VERSION-}" ]] && setopt localoptions ksharrays shwordsplit
  local cur="" cmdpath="wheelhouse" prev="" w spec what kind ns="" cl=""
  local -i i=0 skip=0 npos=0
  local first=""
  for w in "\${COMP_WORDS[@]}"; do
    if (( i == COMP_CWORD )); then cur="$w"; break; fi
    if (( i > 0 )); then
      if (( skip )); then
        skip=0
        case "$prev" in -n|--namespace) ns="$w" ;; --cluster) cl="$w" ;; esac
      elif [[ "$w" == -* ]]; then
        case "$w" in --namespace=*) ns="\${w#*=}" ;; --cluster=*) cl="\${w#*=}" ;; esac
        [[ "$w" != *=* && "\${__wheelhouse_valued[$cmdpath]}" == *" $w "* ]] && skip=1
      elif (( npos == 0 )) && [[ " \${__wheelhouse_sub[$cmdpath]} " == *" $w "* ]]; then
        cmdpath="$cmdpath $w"
      else
        (( npos == 0 )) && first="$w"
        npos=$((npos+1))
      fi
    fi
    prev="$w"
    i=$((i+1))
  done
  local -a hubargs=()
  [[ -n "$ns" ]] && hubargs+=(--namespace "$ns")
  [[ -n "$cl" ]] && hubargs+=(--cluster "$cl")
  COMPREPLY=()

  if (( skip )); then
    what="\${__wheelhouse_values[$cmdpath|$prev]-}"
    if [[ "$what" == @* ]]; then
      COMPREPLY=( $(compgen -W "$(__wheelhouse_hub "\${what#@}" "\${hubargs[@]}")" -- "$cur") )
    elif [[ -n "$what" ]]; then
      COMPREPLY=( $(compgen -W "$what" -- "$cur") )
    fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "\${__wheelhouse_flags[$cmdpath]}" -- "$cur") )
    return 0
  fi
  if (( npos == 0 )) && [[ -n "\${__wheelhouse_sub[$cmdpath]}" ]]; then
    COMPREPLY=( $(compgen -W "\${__wheelhouse_sub[$cmdpath]}" -- "$cur") )
    return 0
  fi

  # The npos-th positional's completer (the last one repeats when it ends in ...).
  what=""
  i=0
  for spec in \${__wheelhouse_args[$cmdpath]-}; do
    what="$spec"
    (( i == npos )) && break
    [[ "$spec" == *... ]] || what=""
    i=$((i+1))
  done
  case "\${what%...}" in
    kind) COMPREPLY=( $(compgen -W "$__wheelhouse_kinds" -- "$cur") ) ;;
    names)
      [[ "$first" == */* ]] || COMPREPLY=( $(compgen -W "$(__wheelhouse_hub names "$first" "\${hubargs[@]}")" -- "$cur") ) ;;
    action) COMPREPLY=( $(compgen -W "$__wheelhouse_actions" -- "$cur") ) ;;
    shells) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ) ;;
    podname) COMPREPLY=( $(compgen -W "$(__wheelhouse_hub names pod "\${hubargs[@]}")" -- "$cur") ) ;;
    target|pod)
      if [[ "$cur" == */* ]]; then
        kind="\${cur%%/*}"
        COMPREPLY=( $(compgen -P "$kind/" -W "$(__wheelhouse_hub names "$kind" "\${hubargs[@]}")" -- "\${cur#*/}") )
      elif [[ "\${what%...}" == pod ]]; then
        COMPREPLY=( $(compgen -W "$__wheelhouse_workloads $(__wheelhouse_hub names pod "\${hubargs[@]}")" -- "$cur") )
      else
        local k cands=""
        for k in $__wheelhouse_kinds; do cands="$cands $k/"; done
        COMPREPLY=( $(compgen -W "$cands" -- "$cur") )
      fi
      # "deploy/" goes on with a name: no space after it.
      if [[ "\${COMPREPLY[*]-}" == */ ]] && type compopt >/dev/null 2>&1; then compopt -o nospace 2>/dev/null; fi
      ;;
  esac
  return 0
}
`;

export type CompletionShell = 'bash' | 'zsh';

/** The completion script of a shell for the program's command tree. */
export function completionScript(program: Command, shell: CompletionShell): string {
  const head =
    shell === 'bash'
      ? "# wheelhouse completion for bash (4+). Install:\n#   echo 'source <(wheelhouse completion bash)' >> ~/.bashrc\n"
      : "#compdef wheelhouse\n# wheelhouse completion for zsh. Install (after compinit):\n#   echo 'source <(wheelhouse completion zsh)' >> ~/.zshrc\n" +
        'autoload -U +X bashcompinit && bashcompinit\n';
  return `${head}${tables(commandTree(program))}\n${FUNCTION}\ncomplete -o default -F _wheelhouse wheelhouse\n`;
}
