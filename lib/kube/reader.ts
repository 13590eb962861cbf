// Paged reads of raw JSON lists. The typed client (CoreV1Api & co.) turns every item into class
// instances with Date objects, which for a 100k-pod sweep costs more than the JSON parse itself
// (see bench/sweep.ts); we only need a few fields, so we page through plain JSON and convert each
// page to slim facts as it arrives. Authentication stays client-node's: kc.applyToHTTPSOptions
// fills tokens (including exec/OIDC refresh), client certificates and the CA, so every auth
// method a kubeconfig can express works here exactly as it does for the typed client.

import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export interface ListPage<T> {
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

export interface KubeReader {
  /** GET one path; resolves to the parsed JSON body or rejects with KubeApiError. */
  get<T>(path: string, query?: Record<string, string>): Promise<T>;
  /** GET every page of a list (limit + continue), handing each page's items to onPage as it arrives. */
  listAll<T>(path: string, query: Record<string, string>, onPage: (items: T[]) => void): Promise<void>;
  /** Requests made so far. */
  readonly requests: number;
}

export interface KubeReaderOptions {
  /** Items per page; 500 is kubectl's default chunk size. */
  pageSize?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const keepAliveHttp = new http.Agent({ keepAlive: true, maxSockets: 16 });

export function createKubeReader(kc: KubeConfig, opts: KubeReaderOptions = {}): KubeReader {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError(0, 'the kubeconfig has no current cluster');
  const base = new URL(cluster.server);
  const pageSize = opts.pageSize ?? 500;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let requests = 0;
  let httpsAgent: https.RequestOptions['agent'];

  /** `sent` settles once the request is on its way (never rejects); `body` is the parsed answer. */
  const send = <T>(path: string, query: Record<string, string>): { sent: Promise<void>; body: Promise<T> } => {
    let dispatched!: () => void;
    const sent = new Promise<void>((resolve) => (dispatched = resolve));
    const body = request<T>(path, query, dispatched);
    body.then(dispatched, dispatched);
    return { sent, body };
  };

  const request = async <T>(path: string, query: Record<string, string>, dispatched?: () => void): Promise<T> => {
    const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const options: https.RequestOptions = { method: 'GET', headers: { accept: 'application/json' } };
    // Per request, so refreshed tokens (exec plugins, OIDC, bound service-account tokens) apply.
    await kc.applyToHTTPSOptions(options);
    const isHttps = url.protocol === 'https:';
    // client-node builds a fresh https.Agent (CA, client cert, proxy) on every call; keeping the
    // first one lets TLS connections be reused across pages. A plain http:// server (tests,
    // kubectl proxy) needs an http agent instead.
    if (isHttps) options.agent = httpsAgent ??= options.agent;
    else options.agent = keepAliveHttp;
    requests++;
    return new Promise<T>((resolve, reject) => {
      const req = (isHttps ? https : http).request(url, { ...options, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new KubeApiError(0, `reading ${path}: ${e.message}`)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            reject(new KubeApiError(status, `GET ${path}: HTTP ${status}, body is not JSON: ${text.slice(0, 200)}`));
            return;
          }
          if (status >= 200 && status < 300) {
            resolve(body as T);
            return;
          }
          const statusObj = body as { message?: string; reason?: string };
          reject(new KubeApiError(status, statusObj.message ?? `GET ${path}: HTTP ${status}`, statusObj.reason));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(new KubeApiError(0, `GET ${url.origin}${path}: ${e.message}`)));
      req.end();
      dispatched?.();
    });
  };

  return {
    get: (path, query = {}) => request(path, query),
    async listAll<T>(path: string, query: Record<string, string>, onPage: (items: T[]) => void) {
      const pageQuery = (continueToken?: string) => ({ ...query, limit: String(pageSize), ...(continueToken ? { continue: continueToken } : {}) });
      let next: { sent: Promise<void>; body: Promise<ListPage<T>> } | undefined = send<ListPage<T>>(path, pageQuery());
      while (next) {
        const page: ListPage<T> = await next.body;
        // Ask for the next page before handing this one over, and wait until it is on its way
        // (the credentials are applied asynchronously): the server then prepares and sends it
        // while onPage converts (and, in a sweep, checks) this one.
        const continueToken = page.metadata?.continue || undefined;
        next = continueToken ? send<ListPage<T>>(path, pageQuery(continueToken)) : undefined;
        if (next) await next.sent;
        // Should onPage throw, `send` has already given the next page's promise a handler.
        onPage(page.items ?? []);
      }
    },
    get requests() {
      return requests;
    },
  };
}
