// Finds PostgreSQL 15's server binaries (Debian's postgresql-15 package) and,
// on a fresh machine where we are root, installs the package with apt-get.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

/** Where Debian's postgresql-15 puts initdb and postgres (override: WHEELHOUSE_PG_BIN). */
export const DEFAULT_PG_BIN = '/usr/lib/postgresql/15/bin';
/** The unprivileged system user tests run the server as when they run as root. */
export const PG_USER = 'wheelhouse-pg';

const isRoot = (): boolean => process.getuid?.() === 0;

export function postgresBinDir(): string {
  const dir = process.env.WHEELHOUSE_PG_BIN ?? DEFAULT_PG_BIN;
  if (existsSync(`${dir}/initdb`) && existsSync(`${dir}/postgres`)) return dir;
  if (process.env.WHEELHOUSE_PG_BIN !== undefined) {
    throw new Error(`WHEELHOUSE_PG_BIN=${dir} has no initdb/postgres`);
  }
  if (!isRoot()) {
    throw new Error(
      `PostgreSQL 15 is not installed (${DEFAULT_PG_BIN}/initdb is missing). Install it: sudo apt-get install -y postgresql-15`,
    );
  }
  installPostgres();
  if (!existsSync(`${dir}/initdb`)) throw new Error(`apt-get installed postgresql-15 but ${dir}/initdb is missing`);
  return dir;
}

/**
 * apt-get install postgresql-15, without the "main" cluster and service the
 * package would otherwise create and start: tests start their own servers.
 */
export function installPostgres(): void {
  const conf = '/etc/postgresql-common/createcluster.conf';
  if (!existsSync(conf)) {
    mkdirSync('/etc/postgresql-common', { recursive: true });
    writeFileSync(conf, '# Wheelhouse tests start their own throw-away servers.\ncreate_main_cluster = false\n');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write('test-postgres: installing postgresql-15 with apt-get…\n');
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql-15'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
}

export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root: as root, tests run it as a system user
 * (created here when absent); otherwise as ourselves (undefined).
 */
export function unprivilegedUser(): RunAs | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, PG_USER], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync(
      'useradd',
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        PG_USER,
      ],
      { stdio: 'inherit' },
    );
    return { uid: id('-u'), gid: id('-g') };
  }
}
