// Container logs of the simulated pods. kwok serves `kubectl logs` from files
// named in its ClusterLogs configuration, parsed the way a kubelet parses a
// container runtime's log: the CRI log format, one line each
//   <RFC 3339 time> <stdout|stderr> <F|P> <text>
// (plain text is refused: "unsupported log format"). Every pod of the local
// cluster shares the current log and the previous log; tests append lines
// (appendContainerLog) and follow=true streams them as they are written.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { DEFAULT_CLUSTER_NAME, containerLogFile, previousContainerLogFile } from './paths.js';

/** Lines the current log starts with, stamped an hour before the cluster was created (so sinceSeconds < 3600 skips them). */
export const INITIAL_LOG_LINES = 20;

/** One CRI log line (with its newline) for a whole line of text. */
export function criLogLine(text: string, at: Date = new Date(), stream: 'stdout' | 'stderr' = 'stdout'): string {
  return `${at.toISOString()} ${stream} F ${text}\n`;
}

const CRI_LINE = /^\d{4}-\d\d-\d\dT\S+ (stdout|stderr) [FP] /;

/**
 * Writes the current and previous log files: always for a new cluster (fresh),
 * else unless they already hold CRI lines (a cluster created before the files
 * were CRI-formatted gets them rewritten).
 */
export async function ensureContainerLogs(
  name: string = DEFAULT_CLUSTER_NAME,
  opts: { fresh?: boolean } = {},
): Promise<void> {
  const now = Date.now();
  const isCri = async (file: string): Promise<boolean> =>
    !opts.fresh && CRI_LINE.test(await readFile(file, 'utf8').catch(() => ''));
  const current = containerLogFile(name);
  if (!(await isCri(current))) {
    const start = now - 3600_000;
    const lines = Array.from({ length: INITIAL_LOG_LINES }, (_, i) =>
      criLogLine(
        `wheelhouse local cluster: simulated container log, line ${i + 1} of ${INITIAL_LOG_LINES}`,
        new Date(start + i * 1000),
        i % 5 === 4 ? 'stderr' : 'stdout',
      ),
    );
    await writeFile(current, lines.join(''));
  }
  const previous = previousContainerLogFile(name);
  if (!(await isCri(previous))) {
    const start = now - 7200_000;
    await writeFile(
      previous,
      [1, 2, 3]
        .map((i) =>
          criLogLine(
            `wheelhouse local cluster: the previous container instance, line ${i}`,
            new Date(start + i * 1000),
          ),
        )
        .join(''),
    );
  }
}

/** Appends whole lines to every simulated container's current log (followers see them within about a second). */
export async function appendContainerLog(
  lines: readonly string[],
  opts: { name?: string; stream?: 'stdout' | 'stderr' } = {},
): Promise<void> {
  const now = new Date();
  await appendFile(
    containerLogFile(opts.name ?? DEFAULT_CLUSTER_NAME),
    lines.map((l) => criLogLine(l, now, opts.stream)).join(''),
  );
}
