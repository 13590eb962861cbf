// A Kubernetes API server of our own, for tests, the local demo and the sweep benchmark. No real
// kube-apiserver can run on these machines, so this one speaks the same wire format to the
// unmodified @kubernetes/client-node and to a real kubectl: discovery, List kinds, selectors,
// limit/continue paging, Status errors (404, 403, 409, 401) and server-side Tables.

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { apiGroupList, apiResourceList, findResourceType, findResourceTypeByKind, groupVersion, type ResourceType, type Served } from './kube-resources.js';
import { parseFieldSelector, parseLabelSelector, type FieldMatcher, type LabelMatcher } from './kube-selectors.js';
import { buildTable } from './kube-tables.js';

/** Who the server says is asking, in Forbidden messages; the identity netcheck runs as in-cluster. */
export const DEFAULT_USER = 'system:serviceaccount:netcheck:netcheck';

export type DenyVerb = 'get' | 'list' | 'create' | 'update' | 'delete';

/** Requests matching a rule get 403 Forbidden. No namespace = every namespace and the cluster scope. */
export interface DenyRule {
  verb: DenyVerb | '*';
  resource: string;
  namespace?: string;
}

/**
 * One RBAC rule as a Role or ClusterRole holds it, with where it is bound: `namespace` for a
 * RoleBinding's Role, absent for a ClusterRoleBinding (every namespace and the cluster scope).
 */
export interface RbacGrant {
  namespace?: string;
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
  /** Only these objects, and only for verbs that name one (a list never matches, as in Kubernetes). */
  resourceNames?: readonly string[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface KubeApiServerOptions {
  objects?: unknown[];
  deny?: DenyRule[];
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
  /** Loopback address to bind; default 127.0.0.1. */
  host?: string;
  port?: number;
  /**
   * "name" lists cluster-wide by name, then namespace, so namespaces interleave. Nothing in the
   * API promises storage-key order; tests use this to prove a reader does not depend on it.
   */
  listOrder?: 'storage-key' | 'name';
  /**
   * Optional CRD groups to serve (discovery, lists): projectcalico.org, crd.projectcalico.org,
   * cilium.io, policy.networking.k8s.io. Others answer 404, as on a cluster without them.
   */
  serveGroups?: string[];
}

export interface KubeApiServerHandle {
  /** http://host:port */
  url: string;
  /** A kubeconfig (context "netcheck-test") pointing at this server; removed by close(). */
  kubeconfigPath: string;
  /** Every request served, in order. Tests count API calls through it; clear with `requests.length = 0`. */
  requests: RequestLogEntry[];
  /** Create or replace an object (kind/apiVersion/metadata required); bumps its resourceVersion. */
  upsert(obj: unknown): void;
  /** Delete by kind ("Service"), namespace ("" for cluster-scoped) and name; false when absent. */
  remove(kind: string, namespace: string, name: string): boolean;
  setDeny(rules: DenyRule[]): void;
  /**
   * Enforce RBAC: with grants set, a request no grant allows gets 403, as from a real API server
   * with those Roles bound (deny rules still apply on top). `undefined` allows everything again.
   */
  setRbac(grants: readonly RbacGrant[] | undefined): void;
  /** Current stored copy of an object, or undefined. */
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Stored objects of a kind (in one namespace, or all), in list order. */
  list(kind: string, namespace?: string): KubeObject[];
  close(): Promise<void>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

interface Stored {
  key: string;
  /** Where the object sits in a list; the storage key, unless the server was told otherwise. */
  order: string;
  obj: KubeObject;
  /** The object's JSON, encoded once: a page is then a concatenation of ready bytes. */
  json: Buffer;
}

class ResourceStore {
  private readonly byKey = new Map<string, Stored>();
  private sortedAll: Stored[] | null = null;
  private readonly sortedByNamespace = new Map<string, Stored[]>();

  constructor(
    readonly type: ResourceType,
    private readonly orderOf: (namespace: string, name: string) => string,
  ) {}

  static keyOf(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  get(namespace: string, name: string): Stored | undefined {
    return this.byKey.get(ResourceStore.keyOf(namespace, name));
  }

  put(obj: KubeObject): Stored {
    const namespace = obj.metadata.namespace ?? '';
    const key = ResourceStore.keyOf(namespace, obj.metadata.name);
    const stored = { key, order: this.orderOf(namespace, obj.metadata.name), obj, json: Buffer.from(JSON.stringify(obj)) };
    const existed = this.byKey.has(key);
    this.byKey.set(key, stored);
    if (existed) this.replaceInIndexes(stored);
    else this.invalidate();
    return stored;
  }

  delete(namespace: string, name: string): Stored | undefined {
    const key = ResourceStore.keyOf(namespace, name);
    const stored = this.byKey.get(key);
    if (stored) {
      this.byKey.delete(key);
      this.invalidate();
    }
    return stored;
  }

  /** Objects in list order: etcd key order (namespace, then name), as the real server lists them, unless told otherwise. */
  sorted(namespace: string | undefined): Stored[] {
    if (!this.sortedAll) {
      this.sortedAll = [...this.byKey.values()].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
      this.sortedByNamespace.clear();
      for (const s of this.sortedAll) {
        const ns = s.obj.metadata.namespace ?? '';
        let list = this.sortedByNamespace.get(ns);
        if (!list) this.sortedByNamespace.set(ns, (list = []));
        list.push(s);
      }
    }
    return namespace === undefined ? this.sortedAll : (this.sortedByNamespace.get(namespace) ?? []);
  }

  private invalidate(): void {
    this.sortedAll = null;
  }

  /** A replace keeps the key order, so swap the entry in place instead of re-sorting 100k objects. */
  private replaceInIndexes(stored: Stored): void {
    if (!this.sortedAll) return;
    for (const list of [this.sortedAll, this.sortedByNamespace.get(stored.obj.metadata.namespace ?? '')]) {
      if (!list) continue;
      const i = lowerBound(list, stored.order);
      if (list[i]?.key === stored.key) list[i] = stored;
    }
  }
}

function lowerBound(list: Stored[], order: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.order < order) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function encodeContinue(resourceVersion: number, nextKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: resourceVersion, start: nextKey })).toString('base64');
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { start?: unknown };
    if (typeof parsed.start === 'string') return parsed.start;
  } catch {
    // fall through to the error below
  }
  throw new HttpError(400, 'BadRequest', `continue key is not valid: "${token}"`);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'BadRequest', `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function describeScope(namespace: string | undefined): string {
  return namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
}

function assertKubeObject(value: unknown, where: string): asserts value is KubeObject {
  const obj = value as Partial<KubeObject> | null;
  if (!obj || typeof obj !== 'object' || typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
    throw new HttpError(400, 'BadRequest', `${where}: object must have string "apiVersion" and "kind"`);
  }
  if (!obj.metadata || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') {
    throw new HttpError(400, 'BadRequest', `${where}: object must have metadata.name`);
  }
}

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  // One store per group and resource, as one etcd key space serves every version of a resource.
  const stores = new Map<string, ResourceStore>();
  const optionalGroups = new Set(opts.serveGroups ?? []);
  const served: Served = (type) => !type.optional || optionalGroups.has(type.group);
  const requests: RequestLogEntry[] = [];
  let deny: DenyRule[] = opts.deny ?? [];
  let rbac: readonly RbacGrant[] | undefined;
  let resourceVersion = 1;
  const startedAt = new Date().toISOString();
  const orderOf =
    opts.listOrder === 'name' ? (namespace: string, name: string) => `${name}/${namespace}` : (namespace: string, name: string) => ResourceStore.keyOf(namespace, name);

  const storeFor = (type: ResourceType): ResourceStore => {
    const key = `${type.group}/${type.resource}`;
    let store = stores.get(key);
    if (!store) stores.set(key, (store = new ResourceStore(type, orderOf)));
    return store;
  };

  const typeOfObject = (obj: KubeObject, where: string): ResourceType => {
    const type = findResourceTypeByKind(obj.kind, obj.apiVersion);
    if (!type || !served(type)) {
      throw new Error(`${where}: kind ${obj.apiVersion}/${obj.kind} is not served by the test API server${type ? ` (add ${type.group} to serveGroups)` : ''}`);
    }
    if (type.namespaced && !obj.metadata.namespace) throw new Error(`${where}: ${obj.kind} ${obj.metadata.name} needs metadata.namespace`);
    return type;
  };

  /** Fill what the API server owns (uid, resourceVersion, creationTimestamp) and store. */
  const save = (type: ResourceType, obj: KubeObject, previous: KubeObject | undefined): Stored => {
    resourceVersion++;
    const metadata = {
      ...obj.metadata,
      uid: previous?.metadata.uid ?? obj.metadata.uid ?? randomUUID(),
      creationTimestamp: previous?.metadata.creationTimestamp ?? obj.metadata.creationTimestamp ?? startedAt,
      resourceVersion: String(resourceVersion),
    };
    return storeFor(type).put({ ...obj, metadata });
  };

  const upsert = (value: unknown): void => {
    assertKubeObject(value, 'upsert');
    const type = typeOfObject(value, 'upsert');
    const previous = storeFor(type).get(value.metadata.namespace ?? '', value.metadata.name)?.obj;
    save(type, value, previous);
  };

  for (const obj of opts.objects ?? []) upsert(obj);

  const granted = (verb: DenyVerb, type: ResourceType, namespace: string | undefined, name: string | undefined): boolean =>
    rbac === undefined ||
    rbac.some(
      (g) =>
        (g.namespace === undefined || (type.namespaced && g.namespace === namespace)) &&
        g.apiGroups.includes(type.group) &&
        (g.resources.includes(type.resource) || g.resources.includes('*')) &&
        (g.verbs.includes(verb) || g.verbs.includes('*')) &&
        (!g.resourceNames?.length || (name !== undefined && g.resourceNames.includes(name))),
    );
  const denied = (verb: DenyVerb, type: ResourceType, namespace: string | undefined, name?: string): boolean =>
    !granted(verb, type, namespace, name) ||
    deny.some((r) => (r.verb === '*' || r.verb === verb) && r.resource === type.resource && (r.namespace === undefined || r.namespace === namespace));

  const authorize = (verb: DenyVerb, type: ResourceType, namespace: string | undefined, name?: string): void => {
    if (!denied(verb, type, namespace, name)) return;
    const named = name ? ` "${name}"` : '';
    throw new HttpError(
      403,
      'Forbidden',
      `${type.resource}${type.group ? `.${type.group}` : ''}${named} is forbidden: User "${DEFAULT_USER}" cannot ${verb} resource "${type.resource}" in API group "${type.group}" ${describeScope(namespace)}`,
      { ...(name ? { name } : {}), ...(type.group ? { group: type.group } : {}), kind: type.resource },
    );
  };

  const notFound = (type: ResourceType, name: string): HttpError =>
    new HttpError(404, 'NotFound', `${type.resource}${type.group ? `.${type.group}` : ''} "${name}" not found`, {
      name,
      ...(type.group ? { group: type.group } : {}),
      kind: type.resource,
    });

  const list = (res: ServerResponse, type: ResourceType, namespace: string | undefined, query: URLSearchParams, wantsTable: boolean): void => {
    let labelMatch: LabelMatcher | undefined;
    let fieldMatch: FieldMatcher | undefined;
    const labelSelector = query.get('labelSelector');
    if (labelSelector) {
      const parsed = parseLabelSelector(labelSelector);
      if (!parsed.ok) throw new HttpError(400, 'BadRequest', `unable to parse requirement: ${parsed.error}`);
      labelMatch = parsed.value;
    }
    const fieldSelector = query.get('fieldSelector');
    if (fieldSelector) {
      const parsed = parseFieldSelector(fieldSelector, type.resource);
      if (!parsed.ok) throw new HttpError(400, 'BadRequest', `"${fieldSelector}" is not a known field selector: ${parsed.error}`);
      fieldMatch = parsed.value;
    }
    const limitParam = query.get('limit');
    const limit = limitParam ? Number(limitParam) : 0;
    if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, 'BadRequest', `limit must be a non-negative integer, got "${limitParam}"`);

    const all = storeFor(type).sorted(namespace);
    const continueParam = query.get('continue');
    let i = continueParam ? lowerBound(all, decodeContinue(continueParam)) : 0;
    const page: Stored[] = [];
    for (; i < all.length; i++) {
      const s = all[i]!;
      if (labelMatch && !labelMatch(s.obj.metadata.labels)) continue;
      if (fieldMatch && !fieldMatch(s.obj)) continue;
      if (limit > 0 && page.length === limit) break;
      page.push(s);
    }
    const next = i < all.length ? all[i] : undefined;
    const continueToken = next && limit > 0 ? encodeContinue(resourceVersion, next.order) : undefined;
    const rv = String(resourceVersion);

    if (wantsTable) {
      send(res, 200, buildTable(type.resource, page.map((s) => s.obj) as never[], rv, continueToken, Date.now()));
      return;
    }
    const remaining = continueToken && !labelMatch && !fieldMatch ? all.length - i : undefined;
    const metadata = JSON.stringify({
      resourceVersion: rv,
      ...(continueToken ? { continue: continueToken } : {}),
      ...(remaining !== undefined ? { remainingItemCount: remaining } : {}),
    });
    // Concatenating the cached per-object JSON keeps 100k-pod pages cheap to serve.
    const parts: Buffer[] = [Buffer.from(`{"kind":"${type.kind}List","apiVersion":"${groupVersion(type)}","metadata":${metadata},"items":[`)];
    page.forEach((s, n) => {
      if (n > 0) parts.push(COMMA);
      parts.push(s.json);
    });
    parts.push(CLOSE_LIST);
    sendRaw(res, 200, Buffer.concat(parts));
  };

  const handleResource = async (
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
  ): Promise<void> => {
    const method = req.method ?? 'GET';
    const wantsTable = (req.headers.accept ?? '').includes('as=Table');
    const store = storeFor(type);
    if (query.get('watch') === 'true' || query.get('watch') === '1') {
      throw new HttpError(405, 'MethodNotAllowed', 'watch is not supported by the netcheck test API server');
    }
    if (name === undefined) {
      if (method === 'GET') {
        authorize('list', type, namespace);
        list(res, type, namespace, query, wantsTable);
        return;
      }
      if (method === 'POST') {
        if (type.namespaced && namespace === undefined) throw new HttpError(405, 'MethodNotAllowed', `create ${type.resource} needs a namespace in the path`);
        authorize('create', type, namespace);
        const body = await readBody(req);
        assertKubeObject(body, `create ${type.resource}`);
        if (type.namespaced) {
          if (body.metadata.namespace && body.metadata.namespace !== namespace) {
            throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
          }
          body.metadata.namespace = namespace;
        }
        if (store.get(namespace ?? '', body.metadata.name)) {
          throw new HttpError(409, 'AlreadyExists', `${type.resource} "${body.metadata.name}" already exists`, { name: body.metadata.name, kind: type.resource });
        }
        const saved = save(type, { ...body, apiVersion: groupVersion(type), kind: type.kind }, undefined);
        sendRaw(res, 201, saved.json);
        return;
      }
      throw new HttpError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }

    const scopeNs = type.namespaced ? namespace : undefined;
    const existing = store.get(scopeNs ?? '', name);
    if (method === 'GET') {
      authorize('get', type, scopeNs, name);
      if (!existing) throw notFound(type, name);
      if (wantsTable) send(res, 200, buildTable(type.resource, [existing.obj] as never[], String(resourceVersion), undefined, Date.now()));
      else sendRaw(res, 200, existing.json);
      return;
    }
    if (method === 'PUT') {
      authorize('update', type, scopeNs, name);
      const body = await readBody(req);
      assertKubeObject(body, `update ${type.resource}`);
      if (body.metadata.name !== name) {
        throw new HttpError(400, 'BadRequest', `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
      }
      if (!existing) throw notFound(type, name);
      const given = body.metadata.resourceVersion;
      if (given && given !== existing.obj.metadata.resourceVersion) {
        throw new HttpError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${type.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, kind: type.resource },
        );
      }
      if (type.namespaced) body.metadata.namespace = scopeNs;
      const saved = save(type, { ...body, apiVersion: groupVersion(type), kind: type.kind }, existing.obj);
      sendRaw(res, 200, saved.json);
      return;
    }
    if (method === 'DELETE') {
      authorize('delete', type, scopeNs, name);
      if (!existing) throw notFound(type, name);
      store.delete(scopeNs ?? '', name);
      resourceVersion++;
      sendRaw(res, 200, existing.json);
      return;
    }
    throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [root, ...rest] = segments;
    if (root === 'version' && rest.length === 0) {
      send(res, 200, { major: '1', minor: '34', gitVersion: 'v1.34.0-netcheck-test', platform: 'linux/amd64' });
      return;
    }
    let group: string;
    let version: string | undefined;
    let tail: string[];
    if (root === 'api') {
      if (rest.length === 0) {
        send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${host}:${port}` }] });
        return;
      }
      group = '';
      [version, ...tail] = rest;
    } else if (root === 'apis') {
      if (rest.length === 0) {
        send(res, 200, apiGroupList(served));
        return;
      }
      [group, version, ...tail] = rest as [string, string | undefined, ...string[]];
    } else {
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (version === undefined) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    if (tail.length === 0) {
      const resources = apiResourceList(group, version, served);
      if (!resources) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
      send(res, 200, resources);
      return;
    }
    let namespace: string | undefined;
    let resource: string;
    let name: string | undefined;
    if (tail[0] === 'namespaces' && tail.length >= 3) {
      [, namespace, resource, name] = tail as [string, string, string, string | undefined];
      if (tail.length > 4) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource (subresources are not served)');
    } else {
      [resource, name] = tail as [string, string | undefined];
      if (tail.length > 2) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const type = findResourceType(group, version, resource, served);
    if (!type || (namespace !== undefined && !type.namespaced)) {
      throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    }
    await handleResource(req, res, type, namespace, name, url.searchParams);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    if (opts.token !== undefined) {
      const header = req.headers.authorization ?? '';
      if (!sameSecret(header, `Bearer ${opts.token}`)) {
        send(res, 401, statusBody(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
    }
    route(req, res, url).catch((e: unknown) => {
      if (e instanceof HttpError) send(res, e.code, statusBody(e.code, e.reason, e.message, e.details));
      else send(res, 500, statusBody(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;

  const dir = await mkdtemp(join(tmpdir(), 'netcheck-kubeapi-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(url, opts.token), { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    requests,
    upsert,
    remove(kind, namespace, name) {
      const type = findResourceTypeByKind(kind);
      if (!type) throw new Error(`remove: kind ${kind} is not served by the test API server`);
      const removed = storeFor(type).delete(type.namespaced ? namespace : '', name);
      if (removed) resourceVersion++;
      return removed !== undefined;
    },
    setDeny(rules) {
      deny = rules;
    },
    setRbac(grants) {
      rbac = grants;
    },
    get(kind, namespace, name) {
      const type = findResourceTypeByKind(kind);
      return type ? storeFor(type).get(type.namespaced ? namespace : '', name)?.obj : undefined;
    },
    list(kind, namespace) {
      const type = findResourceTypeByKind(kind);
      return type
        ? storeFor(type)
            .sorted(type.namespaced ? namespace : undefined)
            .map((s) => s.obj)
        : [];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function kubeconfigYaml(url: string, token?: string): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'netcheck-test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'netcheck', user: token !== undefined ? { token } : {} }],
    contexts: [{ name: 'netcheck-test', context: { cluster: 'netcheck-test', user: 'netcheck' } }],
    'current-context': 'netcheck-test',
  });
}

function send(res: ServerResponse, code: number, body: object): void {
  sendRaw(res, code, JSON.stringify(body));
}

const COMMA = Buffer.from(',');
const CLOSE_LIST = Buffer.from(']}');

function sendRaw(res: ServerResponse, code: number, body: string | Buffer): void {
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
