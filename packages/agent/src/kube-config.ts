// The agent's Kubernetes credentials without @kubernetes/client-node. Loading
// that library's KubeConfig pulls in its whole generated API (~70 MB of RSS in
// a bare Node), which an agent that only lists and watches never uses. This
// reads a kubeconfig (or the in-cluster ServiceAccount) itself and applies TLS
// material and the bearer token to node:https / ws options, the same way the
// library's applyToHTTPSOptions does. Credentials it does not implement (exec
// plugins, auth providers, proxies, several KUBECONFIG files) are handed to the
// library, loaded on first use; so is everything that needs its typed clients
// (fullKubeConfig).
import type { RequestOptions } from 'node:https';
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isIPv6 } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';

/** What the agent's HTTP, watch, exec and port-forward code needs of a kube config; k8s.KubeConfig has it too. */
export interface KubeClientConfig {
  getCurrentCluster(): { server: string } | null;
  /**
   * Adds TLS material and credentials to request (or WebSocket) options. The
   * lean config sets no agent: kube-http keeps one keep-alive agent per TLS
   * identity (the client library's config adds a new agent of its own).
   */
  applyToHTTPSOptions(opts: RequestOptions | import('ws').ClientOptions): Promise<void>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Cluster {
  server: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
}

interface User {
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  impersonate?: string;
}

/** Where the config came from, so the client library can load the very same one. */
type Source = { file: string; context?: string } | { default: true; context?: string } | { inCluster: true };

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw => (typeof v === 'object' && v !== null ? (v as Raw) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const named = (list: unknown, name: string | undefined): Raw | undefined =>
  Array.isArray(list) ? list.map(rec).find((e) => e.name === name) : undefined;
const absolute = (dir: string, file: string | undefined): string | undefined =>
  file === undefined || isAbsolute(file) ? file : join(dir, file);

export class LeanKubeConfig implements KubeClientConfig {
  private fullConfig: Promise<k8s.KubeConfig> | null = null;
  private readonly tls: TlsMaterial;

  private constructor(
    private readonly source: Source,
    private readonly cluster: Cluster,
    private readonly user: User,
    /** Why the client library must apply the credentials ('' when this class does). */
    readonly delegateReason: string,
    rotation: RotationCheck = {},
  ) {
    this.tls = new TlsMaterial(
      {
        ca: { file: cluster.caFile, data: cluster.caData },
        cert: { file: user.certFile, data: user.certData },
        key: { file: user.keyFile, data: user.keyData },
      },
      rotation,
    );
  }

  /** The explicit file, else KUBECONFIG / ~/.kube/config, else the in-cluster ServiceAccount — kubectl's order. */
  static load(kubeconfig?: string, context?: string, rotation?: RotationCheck): LeanKubeConfig {
    const ctx = context ? { context } : {};
    if (kubeconfig) return LeanKubeConfig.fromFile(kubeconfig, { file: kubeconfig, ...ctx }, rotation);
    const env = process.env.KUBECONFIG;
    const dflt: Source = { default: true, ...ctx };
    if (env) {
      const files = env.split(delimiter).filter(Boolean);
      if (files.length === 1 && files[0]) return LeanKubeConfig.fromFile(files[0], dflt, rotation);
      // Several files are merged by the library's rules.
      if (files.length > 1)
        return new LeanKubeConfig(dflt, { server: '', skipTLSVerify: false }, {}, 'KUBECONFIG lists several files');
    }
    const home = join(process.env.HOME ?? homedir(), '.kube', 'config');
    if (existsSync(home)) return LeanKubeConfig.fromFile(home, dflt, rotation);
    if (existsSync(join(SA_DIR, 'token'))) return LeanKubeConfig.inCluster(SA_DIR, rotation);
    throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a cluster');
  }

  /** The ServiceAccount's token and CA as the kubelet mounts them (dir: elsewhere, for tests). */
  static inCluster(dir = SA_DIR, rotation?: RotationCheck): LeanKubeConfig {
    const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    const h = isIPv6(host) ? `[${host}]` : host;
    // The token file is re-read on every request: bound ServiceAccount tokens rotate.
    return new LeanKubeConfig(
      { inCluster: true },
      { server: `https://${h}:${port}`, caFile: join(dir, 'ca.crt'), skipTLSVerify: false },
      { tokenFile: join(dir, 'token') },
      '',
      rotation,
    );
  }

  static fromFile(file: string, source: Source, rotation?: RotationCheck): LeanKubeConfig {
    const doc = rec(parseYaml(readFileSync(file, 'utf8')));
    const dir = dirname(file);
    const contextName = ('context' in source ? source.context : undefined) ?? str(doc['current-context']);
    const ctx = rec(named(doc.contexts, contextName)?.context);
    if (!contextName || !named(doc.contexts, contextName))
      throw new Error(`kubeconfig ${file}: no context "${contextName ?? ''}"`);
    const c = rec(named(doc.clusters, str(ctx.cluster))?.cluster);
    const u = rec(named(doc.users, str(ctx.user))?.user);
    const server = str(c.server);
    if (!server) throw new Error(`kubeconfig ${file}: context "${contextName}" has no cluster server`);
    const cluster: Cluster = {
      server,
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      ...opt('caData', str(c['certificate-authority-data'])),
      ...opt('caFile', absolute(dir, str(c['certificate-authority']))),
      ...opt('tlsServerName', str(c['tls-server-name'])),
    };
    const user: User = {
      ...opt('certData', str(u['client-certificate-data'])),
      ...opt('certFile', absolute(dir, str(u['client-certificate']))),
      ...opt('keyData', str(u['client-key-data'])),
      ...opt('keyFile', absolute(dir, str(u['client-key']))),
      ...opt('token', str(u.token)),
      ...opt('tokenFile', absolute(dir, str(u.tokenFile))),
      ...opt('username', str(u.username)),
      ...opt('password', str(u.password)),
      ...opt('impersonate', str(u.as)),
    };
    const delegate = u.exec
      ? 'an exec credential plugin'
      : u['auth-provider']
        ? 'an auth provider'
        : c['proxy-url']
          ? 'a proxy'
          : '';
    return new LeanKubeConfig(source, cluster, user, delegate, rotation);
  }

  getCurrentCluster(): { server: string } | null {
    return this.cluster.server ? { server: this.cluster.server } : null;
  }

  async applyToHTTPSOptions(opts: RequestOptions | import('ws').ClientOptions): Promise<void> {
    if (this.delegateReason) return (await this.full()).applyToHTTPSOptions(opts);
    const o = opts as RequestOptions;
    const { cluster, user } = this;
    if (cluster.skipTLSVerify) o.rejectUnauthorized = false;
    if (cluster.tlsServerName) o.servername = cluster.tlsServerName;
    const { ca, cert, key } = this.tls.current();
    if (ca) o.ca = ca;
    if (cert) o.cert = cert;
    if (key) o.key = key;
    const headers = (o.headers ??= {}) as Record<string, string | string[] | number>;
    if (user.impersonate) headers['Impersonate-User'] = user.impersonate;
    const token = user.token ?? (user.tokenFile ? readFileSync(user.tokenFile, 'utf8').trim() : undefined);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (user.username) o.auth = `${user.username}:${user.password ?? ''}`;
    if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify)
      throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
  }

  /** The client library's KubeConfig for the same source, loaded (with the library) on first call. */
  full(): Promise<k8s.KubeConfig> {
    this.fullConfig ??= (async () => {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      const s = this.source;
      if ('inCluster' in s) kc.loadFromCluster();
      else if ('file' in s) kc.loadFromFile(s.file);
      else kc.loadFromDefault();
      if (!('inCluster' in s) && s.context) kc.setCurrentContext(s.context);
      return kc;
    })();
    return this.fullConfig;
  }
}

function opt<K extends string>(key: K, value: string | undefined): { [k in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: string };
}

/** How often certificate and CA files are checked for a rotation; the clock and stat are injectable for tests. */
export interface RotationCheck {
  /** At most one check of the files per this many milliseconds (default ROTATION_CHECK_MS). */
  intervalMs?: number;
  /** A monotonic clock in milliseconds (default performance.now: wall-clock jumps do not matter). */
  now?: () => number;
  /** Stats a file, following symlinks (default fs.statSync). */
  stat?: (file: string) => Pick<Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>;
}

/** A rotated certificate, key or CA file is used from the first request at most this long after it changed. */
export const ROTATION_CHECK_MS = 5_000;

type TlsPart = 'ca' | 'cert' | 'key';

interface Material {
  file?: string | undefined;
  data?: string | undefined;
  stamp?: string;
  content?: Buffer | undefined;
}

/**
 * A config's CA, client certificate and key, from files or inline data. Inline
 * data is decoded once. Files are read once and again only when they changed
 * (inode, size or times: a certificate written over, or a Kubernetes-mounted
 * Secret whose ..data symlink was swapped — fs.watch on the file misses that,
 * a stat does not). The files are stat'ed at most once per interval, not per
 * request: between checks a request costs nothing and gets the same Buffers,
 * so kube-http keeps the same keep-alive agent. A check that found a change is
 * followed by another on the next request, so a certificate and key replaced
 * one after the other are never kept half-rotated for a whole interval.
 */
class TlsMaterial {
  private readonly parts: Record<TlsPart, Material>;
  private readonly files: TlsPart[];
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly stat: NonNullable<RotationCheck['stat']>;
  private nextCheck = -Infinity;

  constructor(parts: Record<TlsPart, Material>, rotation: RotationCheck) {
    this.parts = parts;
    this.files = (Object.keys(parts) as TlsPart[]).filter((p) => parts[p].file);
    for (const p of Object.values(parts)) if (!p.file && p.data) p.content = Buffer.from(p.data, 'base64');
    this.intervalMs = rotation.intervalMs ?? ROTATION_CHECK_MS;
    this.now = rotation.now ?? (() => performance.now());
    this.stat = rotation.stat ?? statSync;
  }

  current(): Record<TlsPart, Buffer | undefined> {
    if (this.files.length > 0 && this.now() >= this.nextCheck) this.check();
    const { ca, cert, key } = this.parts;
    return { ca: ca.content, cert: cert.content, key: key.content };
  }

  private check(): void {
    let rotated = false;
    for (const name of this.files) {
      const part = this.parts[name];
      const file = part.file as string;
      // A missing file throws (the request fails) and is checked again on the next request.
      const s = this.stat(file);
      const stamp = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
      if (stamp !== part.stamp) {
        if (part.stamp !== undefined) rotated = true;
        part.content = readFileSync(file);
        part.stamp = stamp;
      }
    }
    this.nextCheck = rotated ? this.now() : this.now() + this.intervalMs;
  }
}

/**
 * The client library's KubeConfig behind a config: for the typed clients
 * (node shells' pods, exec guard). Loads the library when first needed.
 */
export async function fullKubeConfig(kc: KubeClientConfig): Promise<k8s.KubeConfig> {
  // Anything else is the library's own KubeConfig (tests and the demo pass one).
  return kc instanceof LeanKubeConfig ? kc.full() : (kc as k8s.KubeConfig);
}
