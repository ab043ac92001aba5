// `wheelhouse action <id> <kind>/<name>`: request an action on the hub and
// follow it to its terminal state (or print its preview with --dry-run).
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import {
  isRecord,
  ACTIONS,
  RESOURCE_KINDS,
  isActionId,
  isTerminal,
  parseDuration,
  type ActionPreview,
  type CommandState,
} from '@wheelhouse/protocol';
import { callApi, resolveCredentials, type HubCredentials } from '../api-client.js';
import { parseKindName } from '../kinds.js';
import { pickCluster } from '../hub-context.js';
import { CliError, usageError } from '../exit-codes.js';

/** Where the command writes: the process by default, a buffer in tests. */
export interface ActionIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Progress updated in place (TTY) or one line per change. */
  tty: boolean;
  /** Polling interval while waiting (ms). */
  pollMs?: number;
}

export const processIo = (): ActionIo => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  tty: process.stderr.isTTY,
});

/** `kind/name` with kubectl's short names and plurals: `deploy/web`, `deployments/web`. */
export const parseTarget = parseKindName;

/** The param's schema with optional/default/nullable wrappers removed: its base type decides the coercion. */
function baseType(schema: z.ZodType): string {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s.def.type;
  }
}

/** --param key=value, typed by the action's params schema (numbers, booleans, null; strings as given). */
export function coerceParams(actionId: string, pairs: readonly string[], json?: string): Record<string, unknown> {
  if (!isActionId(actionId))
    throw usageError(`unknown action "${actionId}"; known actions: ${Object.keys(ACTIONS).join(', ')}`);
  const schema: z.ZodType = ACTIONS[actionId].params;
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
  let params: Record<string, unknown> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw usageError(`--params-json is not JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!isRecord(parsed)) throw usageError('--params-json must be a JSON object');
    params = { ...parsed };
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usageError(`--param "${pair}" must be key=value`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const field = shape[key];
    if (!field) {
      const known = Object.keys(shape);
      throw usageError(
        `action "${actionId}" has no param "${key}"${known.length ? `; its params: ${known.join(', ')}` : ' (it takes none)'}`,
      );
    }
    const type = baseType(field);
    if (raw === 'null' && field.safeParse(null).success) params[key] = null;
    else if (type === 'number' || type === 'int') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw usageError(`--param ${key}: "${raw}" is not a number`);
      params[key] = n;
    } else if (type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw usageError(`--param ${key}: "${raw}" must be true or false`);
      params[key] = raw === 'true';
    } else params[key] = raw;
  }
  // Fail before the round trip with the same message the hub would give.
  const check = schema.safeParse(params);
  if (!check.success) {
    const first = check.error.issues[0];
    throw usageError(first ? `params.${first.path.map(String).join('.')}: ${first.message}` : 'invalid params');
  }
  return params;
}

export interface CommandView {
  id: string;
  state: CommandState;
  message: string | null;
  result: { preview?: ActionPreview; container?: string } | null;
}

const show = (v: unknown): string => (v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

export function formatPreview(p: ActionPreview): string {
  const lines = [`Preview: ${p.summary}`];
  if (p.diff.length) {
    lines.push('Changes:');
    for (const d of p.diff) lines.push(`  ${d.path}: ${show(d.from)} -> ${show(d.to)}`);
  } else lines.push('Changes: none');
  if (p.warnings.length) {
    lines.push('Warnings:');
    for (const w of p.warnings) lines.push(`  ! ${w}`);
  }
  if (p.affected.length) {
    lines.push('Affected objects:');
    for (const a of p.affected) lines.push(`  ${a.kind} ${a.namespace ? `${a.namespace}/` : ''}${a.name}: ${a.effect}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Polls the command until it is terminal, showing state and message as they change. */
export async function follow(creds: HubCredentials, id: string, io: ActionIo, timeoutMs: number): Promise<CommandView> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const cmd = await callApi<CommandView>(creds, 'GET', `/api/v1/actions/${id}`);
    const line = `${cmd.state}${cmd.message ? `: ${cmd.message}` : ''}`;
    if (line !== last) {
      if (io.tty) io.err(`\r\x1b[K${line}`);
      else io.err(`${line}\n`);
      last = line;
    }
    if (isTerminal(cmd.state)) {
      if (io.tty) io.err('\n');
      return cmd;
    }
    if (Date.now() > deadline) {
      if (io.tty) io.err('\n');
      throw new Error(
        `action ${id} is still ${cmd.state} after ${Math.round(timeoutMs / 1000)}s; follow it with GET /api/v1/actions/${id}`,
      );
    }
    await new Promise((r) => setTimeout(r, io.pollMs ?? 500));
  }
}

interface ActionFlags {
  namespace?: string;
  param: string[];
  paramsJson?: string;
  filename?: string;
  reason?: string;
  dryRun?: boolean;
  wait: boolean;
  cluster?: string;
  hub?: string;
  apiToken?: string;
  timeout: string;
}

export function actionCommand(io: ActionIo = processIo()): Command {
  const ids = Object.keys(ACTIONS).join(', ');
  return new Command('action')
    .description(`run an action on a cluster and wait for Kubernetes to show its effect (actions: ${ids})`)
    .argument('<id>', 'action id, e.g. scale')
    .argument('<target>', '<kind>/<name>, e.g. deployment/web or node/worker-1')
    .option('-n, --namespace <ns>', 'namespace of the target (namespaced kinds; default "default")')
    .option(
      '--param <key=value>',
      'an action parameter; repeatable (numbers and booleans are typed by the action)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--params-json <json>', 'parameters as a JSON object (--param values override)')
    .option('-f, --filename <file>', 'manifest for apply (YAML or JSON, several documents allowed; - for stdin)')
    .option('--reason <text>', 'why (recorded in the audit log and on the object)')
    .option('--dry-run', 'preview the change (diff, warnings, affected objects) without making it')
    .option('--no-wait', 'print the action id and return without waiting')
    .option('--timeout <duration>', 'how long to wait for a terminal state', '15m')
    .addOption(new Option('--cluster <name>', 'cluster (default: the only one you can see)').env('WHEELHOUSE_CLUSTER'))
    .addOption(new Option('--hub <url>', 'hub URL').env('WHEELHOUSE_HUB_URL'))
    .addOption(new Option('--api-token <token>', 'API token').env('WHEELHOUSE_API_TOKEN'))
    .action(async (id: string, targetSpec: string, o: ActionFlags) => {
      const target = parseTarget(targetSpec);
      const pairs = [...o.param];
      if (o.filename !== undefined) {
        const text = readFileSync(o.filename === '-' ? 0 : o.filename, 'utf8');
        pairs.push(`manifest=${text}`);
      }
      const params = coerceParams(id, pairs, o.paramsJson);
      const timeoutMs = parseDuration(o.timeout);
      const namespaced = RESOURCE_KINDS[target.kind].namespaced;
      if (!namespaced && o.namespace)
        throw new CliError('usage', `${target.kind} is cluster-scoped: drop -n/--namespace`);
      const creds = resolveCredentials(o);
      const cluster = await pickCluster(creds, o.cluster ?? process.env.WHEELHOUSE_CLUSTER);
      const body = {
        action: id,
        target: { kind: target.kind, namespace: namespaced ? (o.namespace ?? 'default') : '', name: target.name },
        params,
        ...(o.reason ? { reason: o.reason } : {}),
        dryRun: o.dryRun === true,
      };
      const created = await callApi<{
        id: string;
        status: CommandState;
        message?: string | null;
        preview?: ActionPreview | null;
      }>(creds, 'POST', `/api/v1/clusters/${encodeURIComponent(cluster)}/actions`, body);
      if (!o.wait) {
        io.out(`${created.id}\n`);
        return;
      }
      let done: CommandView;
      if (o.dryRun && isTerminal(created.status)) {
        done = {
          id: created.id,
          state: created.status,
          message: created.message ?? null,
          result: created.preview ? { preview: created.preview } : null,
        };
      } else {
        io.err(`action ${created.id}\n`);
        done = await follow(creds, created.id, io, timeoutMs);
      }
      if (done.state !== 'succeeded')
        throw new CliError('failed', `action ${done.id} ${done.state}${done.message ? `: ${done.message}` : ''}`);
      if (o.dryRun) {
        const preview = done.result?.preview;
        io.out(preview ? formatPreview(preview) : `${done.message ?? 'no preview'}\n`);
      } else io.out(`${id} ${target.kind}/${target.name} succeeded${done.message ? `: ${done.message}` : ''}\n`);
    });
}
