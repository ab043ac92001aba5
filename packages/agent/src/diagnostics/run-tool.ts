// Runs one command in a container through exec (no TTY) and collects its
// output, bounded in time and size: the diagnostics snapshot's tools are
// short-lived and print little.
import type { KubeClientConfig } from '../kube-config.js';
import { isMissingExecutable, KubeExec, type ExecStatus } from '../shell/kube-exec.js';

export interface ToolRun {
  stdout: string;
  stderr: string;
  status: ExecStatus;
  /** The image has no such executable. */
  missing: boolean;
}

const MAX_OUTPUT = 512 * 1024;

export async function runTool(
  kc: KubeClientConfig,
  where: { namespace: string; pod: string; container: string },
  command: string[],
  timeoutMs = 15_000,
): Promise<ToolRun> {
  const exec = await KubeExec.open(kc, { ...where, command, tty: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  return new Promise<ToolRun>((resolve, reject) => {
    let status: ExecStatus | null = null;
    const timer = setTimeout(() => {
      exec.close();
      reject(new Error(`${command[0] ?? ''} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    exec.on('data', (channel, payload) => {
      size += payload.length;
      if (size > MAX_OUTPUT) return;
      (channel === 1 ? out : err).push(payload);
    });
    exec.on('status', (s) => (status = s));
    exec.on('close', () => {
      clearTimeout(timer);
      const s = status ?? { exitCode: null, message: 'the exec stream closed without a status' };
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        status: s,
        missing: isMissingExecutable(s),
      });
    });
    exec.start();
  });
}
