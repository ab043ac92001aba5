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
import { existsSync, readFileSync, statSync } from 'node:fs';
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
  private readonly ca: () => Buffer | undefined;
  private readonly cert: () => Buffer | undefined;
  private readonly key: () => Buffer | undefined;

  private constructor(
    private readonly source: Source,
    private readonly cluster: Cluster,
    private readonly user: User,
    /** Why the client library must apply the credentials ('' when this class does). */
    readonly delegateReason: string,
  ) {
    this.ca = material(cluster.caFile, cluster.caData);
    this.cert = material(user.certFile, user.certData);
    this.key = material(user.keyFile, user.keyData);
  }

  /** The explicit file, else KUBECONFIG / ~/.kube/config, else the in-cluster ServiceAccount — kubectl's order. */
  static load(kubeconfig?: string, context?: string): LeanKubeConfig {
    if (kubeconfig) return LeanKubeConfig.fromFile(kubeconfig, { file: kubeconfig, ...(context ? { context } : {}) });
    const env = process.env.KUBECONFIG;
    const dflt: Source = { default: true, ...(context ? { context } : {}) };
    if (env) {
      const files = env.split(delimiter).filter(Boolean);
      if (files.length === 1 && files[0]) return LeanKubeConfig.fromFile(files[0], dflt);
      // Several files are merged by the library's rules.
      if (files.length > 1)
        return new LeanKubeConfig(dflt, { server: '', skipTLSVerify: false }, {}, 'KUBECONFIG lists several files');
    }
    const home = join(process.env.HOME ?? homedir(), '.kube', 'config');
    if (existsSync(home)) return LeanKubeConfig.fromFile(home, dflt);
    if (existsSync(join(SA_DIR, 'token'))) return LeanKubeConfig.inCluster();
    throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a cluster');
  }

  /** The ServiceAccount's token and CA as the kubelet mounts them (dir: elsewhere, for tests). */
  static inCluster(dir = SA_DIR): LeanKubeConfig {
    const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    const h = isIPv6(host) ? `[${host}]` : host;
    // The token file is re-read on every request: bound ServiceAccount tokens rotate.
    return new LeanKubeConfig(
      { inCluster: true },
      { server: `https://${h}:${port}`, caFile: join(dir, 'ca.crt'), skipTLSVerify: false },
      { tokenFile: join(dir, 'token') },
      '',
    );
  }

  static fromFile(file: string, source: Source): LeanKubeConfig {
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
    return new LeanKubeConfig(source, cluster, user, delegate);
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
    const ca = this.ca();
    if (ca) o.ca = ca;
    const cert = this.cert();
    if (cert) o.cert = cert;
    const key = this.key();
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

/**
 * TLS material from a file or inline data. Inline data is decoded once; a file
 * is read once and again only when it changed (inode, size or times: a rotated
 * certificate or CA, also a kubelet-projected file swapped by symlink), so a
 * request costs a stat, not a read, and the same Buffer keeps kube-http's
 * keep-alive agent for it.
 */
function material(file: string | undefined, data: string | undefined): () => Buffer | undefined {
  if (file) {
    let stamp = '';
    let content: Buffer | undefined;
    return () => {
      const s = statSync(file);
      const now = `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
      if (now !== stamp || !content) {
        content = readFileSync(file);
        stamp = now;
      }
      return content;
    };
  }
  const decoded = data ? Buffer.from(data, 'base64') : undefined;
  return () => decoded;
}

/**
 * The client library's KubeConfig behind a config: for the typed clients
 * (node shells' pods, exec guard). Loads the library when first needed.
 */
export async function fullKubeConfig(kc: KubeClientConfig): Promise<k8s.KubeConfig> {
  // Anything else is the library's own KubeConfig (tests and the demo pass one).
  return kc instanceof LeanKubeConfig ? kc.full() : (kc as k8s.KubeConfig);
}
