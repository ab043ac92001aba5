// A diagnostics snapshot from inside a container: ps, free and df through
// exec (where the image has them), parsed into tables. Read-only; the result
// says which tools are missing rather than failing on a minimal image.
import { toJsonObject } from '@wheelhouse/protocol';
import { parseDf, parseFree, parsePs, topProcesses } from '../diagnostics/snapshot-parsers.js';
import { runTool, type ToolRun } from '../diagnostics/run-tool.js';
import { previewResult, type ExecutionResult, type Executor } from './context.js';
import { getTarget } from './target.js';

/** procps first; BusyBox's ps knows no -e and no %CPU, so it gets its own columns. */
const PS_PROCPS = ['ps', '-eo', 'pid,user,%cpu,%mem,rss,args'];
const PS_BUSYBOX = ['ps', '-o', 'pid,user,vsz,rss,args'];
const TOP_N = 10;

export const diagnosticsSnapshot: Executor<'diagnostics-snapshot'> = async (ctx, params): Promise<ExecutionResult> => {
  const { kc, command } = ctx;
  const progress = (m: string) => ctx.progress(m);
  const { namespace, name } = command.target;
  const pod = await getTarget(kc, command.target);
  const spec = (pod as { spec?: { containers?: { name: string }[] } }).spec;
  const names = (spec?.containers ?? []).map((c) => c.name);
  const container = params.container ?? names[0];
  if (!container || !names.includes(container))
    throw new Error(`pod ${name} has no container "${params.container ?? ''}" (containers: ${names.join(', ')})`);
  const phase = (pod as { status?: { phase?: string } }).status?.phase;
  if (phase !== 'Running') throw new Error(`pod ${name} is ${phase ?? 'in no phase'}: exec needs a running container`);
  if (command.dryRun)
    return previewResult({
      summary: `run ps, free and df in container ${container} of pod ${name} (read-only)`,
      diff: [],
      warnings: [],
      affected: [],
    });

  const where = { namespace, pod: name, container };
  const missing: string[] = [];
  const failed: Record<string, string> = {};
  const note = (tool: string, r: ToolRun) => {
    if (r.missing) missing.push(tool);
    else failed[tool] = (r.stderr.trim() || r.status.message || `exit code ${r.status.exitCode ?? '?'}`).slice(0, 500);
  };

  progress('running ps');
  let ps = await runTool(kc, where, PS_PROCPS);
  let processes = parsePs(ps.stdout);
  if (!processes.length && !ps.missing) {
    ps = await runTool(kc, where, PS_BUSYBOX);
    processes = parsePs(ps.stdout);
  }
  if (!processes.length) note('ps', ps);

  progress('running free');
  const free = await runTool(kc, where, ['free', '-k']);
  const memory = parseFree(free.stdout);
  if (!memory) note('free', free);

  progress('running df');
  const df = await runTool(kc, where, ['df', '-kP']);
  const disks = parseDf(df.stdout);
  if (!disks.length) note('df', df);

  const top = topProcesses(processes, TOP_N);
  const parts = [
    processes.length ? `${processes.length} processes` : null,
    memory ? `memory ${memory.availablePercent} % available${memory.low ? ' (low)' : ''}` : null,
    disks[0] ? `fullest disk ${disks[0].mountedOn} at ${disks[0].usePercent} %` : null,
    missing.length ? `the image lacks ${missing.join(', ')}` : null,
  ].filter((p): p is string => p !== null);
  return {
    message: `snapshot of ${container}: ${parts.join('; ') || 'nothing could be read'}`,
    result: toJsonObject({
      container,
      processCount: processes.length,
      topByMemory: top.byMemory,
      topByCpu: top.byCpu,
      memory,
      disks,
      missing,
      failed,
    }),
  };
};
