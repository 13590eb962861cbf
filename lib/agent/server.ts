import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { readAgentFacts, type ReadAgentFacts } from './facts.js';
import { MAX_SERVICE_ADDRESSES, parseServiceAddress, type ServiceAddress } from './service-address.js';
import { MIN_AGENT_TOKEN_LENGTH } from './token.js';
import { MAX_POD_PROBE_TARGETS, probeFromPod } from './pod-probe.js';
import { resolveFromNode } from './resolve.js';
import { DEFAULT_STALL_MS, DEFAULT_TRANSFER_TIMEOUT_MS, fetchFromPeer, MAX_TRANSFER_BYTES, MAX_TRANSFER_TIMEOUT_MS, streamBulk } from './transfer.js';

// The agent listens on the node's network (hostNetwork), so every request that reveals node
// facts must carry the shared bearer token; /healthz stays open for the kubelet's probe and says
// nothing about the node.

const MAX_CONNECTIONS = 64;

export interface AgentServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  /** Reads the node's facts for one request; the Service addresses come from `service=` params. */
  readFacts?: ReadAgentFacts;
  /** This node's Kubernetes name, reported as `from` of transfers; defaults to the bind address. */
  nodeName?: string;
  /** No byte progress for this long makes a transfer 'stalled'. */
  transferStallMs?: number;
  /** Open sockets at most; more are refused at accept (default 64: the worker asks each node a few at a time). */
  maxConnections?: number;
  /** Opt-in: serve /probe, TCP probes from inside a pod's network namespace (needs CAP_SYS_ADMIN). */
  podProbes?: boolean;
  /** With podProbes: only pinned namespaces with this name prefix are searched for the pod. */
  podNetnsPrefix?: string;
  probeFromPod?: typeof probeFromPod;
}

export interface AgentServer {
  url: string;
  port: number;
  close: () => Promise<void>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compare the presented Authorization header with the token in constant time (equal-length digests). */
function isAuthorized(authorization: string | undefined, expectedDigest: Buffer): boolean {
  const presented = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  // Returning early here reveals only that the header is malformed, nothing about the token.
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), expectedDigest);
}

/**
 * Transfers move megabytes; a diagnosis runs a few each way (the engine: up to 3 peers, both
 * directions), and the bound keeps a caller from turning the agent into a traffic generator.
 */
const MAX_CONCURRENT_TRANSFERS = 8;
/** Netfilter reads spawn tools; more than this many at once wait their turn. */
const MAX_CONCURRENT_FACTS = 2;

class BadRequest extends Error {}

function integerParam(params: URLSearchParams, name: string, min: number, max: number, fallback?: number): number {
  const values = params.getAll(name);
  if (values.length === 0 && fallback !== undefined) return fallback;
  if (values.length !== 1) throw new BadRequest(values.length === 0 ? `${name} is required` : `${name} may be given once`);
  const text = values[0] as string;
  const value = Number(text);
  if (!/^\d{1,10}$/.test(text) || value < min || value > max) throw new BadRequest(`${name} must be an integer ${min}–${max} (got "${text.slice(0, 40)}")`);
  return value;
}

function onlyParams(params: URLSearchParams, allowed: readonly string[]): void {
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) {
      throw new BadRequest(`unknown query parameter "${name.slice(0, 40)}"${allowed.length ? `; this path takes ${allowed.join(', ')}` : '; this path takes none'}`);
    }
  }
}

/** `service=<ip>:<port>/<tcp|udp|sctp>`, repeatable, validated before anything runs. */
export function parseServicesQuery(params: URLSearchParams): ServiceAddress[] {
  onlyParams(params, ['service']);
  const values = params.getAll('service');
  if (values.length > MAX_SERVICE_ADDRESSES) throw new BadRequest(`at most ${MAX_SERVICE_ADDRESSES} service parameters (got ${values.length})`);
  const seen = new Map<string, ServiceAddress>();
  for (const value of values) {
    const parsed = parseServiceAddress(value);
    if (typeof parsed === 'string') throw new BadRequest(`service: ${parsed}`);
    seen.set(`${parsed.ip}|${parsed.port}|${parsed.protocol}`, parsed);
  }
  return [...seen.values()];
}

function parsePeer(params: URLSearchParams): { ip: string; port: number } {
  const values = params.getAll('peer');
  if (values.length !== 1) throw new BadRequest(values.length === 0 ? 'peer=<ip>:<port> is required' : 'peer may be given once');
  return parseAddress(values[0] as string, 'peer');
}

function parseAddress(text: string, what: string): { ip: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const ip = match?.[1] ?? match?.[2] ?? '';
  const port = Number(match?.[3]);
  if (!match || isIP(ip) === 0) throw new BadRequest(`${what} must be <ip>:<port> or [<ipv6>]:<port> (got "${text.slice(0, 80)}")`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BadRequest(`${what} port must be 1–65535 (got ${match[3]})`);
  if (match[1] !== undefined && isIP(ip) !== 6) throw new BadRequest(`only IPv6 addresses go in brackets (got "${text.slice(0, 80)}")`);
  return { ip, port };
}

/** A counting gate: at most `limit` holders, the rest wait in order. */
function gate(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await work();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  if (options.token.length < MIN_AGENT_TOKEN_LENGTH) {
    throw new Error(`agent token must be at least ${MIN_AGENT_TOKEN_LENGTH} characters (got ${options.token.length})`);
  }
  const expectedDigest = digest(options.token);
  const readFacts = options.readFacts ?? ((request) => readAgentFacts(request));
  const nodeName = options.nodeName ?? options.host;
  const stallMs = options.transferStallMs ?? DEFAULT_STALL_MS;
  const factsGate = gate(MAX_CONCURRENT_FACTS);
  // Separate counts: a node serving its peers' fetches must still be able to fetch from them.
  let transfers = 0;
  let bulks = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://agent');
    const path = url.pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(response, 405, { error: `method ${request.method ?? '?'} not allowed; use GET` }, { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return;
    }
    if (path !== '/facts' && path !== '/bulk' && path !== '/transfer' && path !== '/probe' && path !== '/resolve') {
      sendJson(response, 404, { error: `no such path ${path}; the agent serves /facts, /bulk, /transfer, /probe, /resolve and /healthz` });
      return;
    }
    if (!isAuthorized(request.headers.authorization, expectedDigest)) {
      sendJson(response, 401, { error: 'missing or wrong bearer token' }, { 'www-authenticate': 'Bearer realm="netcheck-agent"' });
      return;
    }
    try {
      if (path === '/facts') {
        const services = parseServicesQuery(url.searchParams);
        try {
          sendJson(response, 200, await factsGate(() => readFacts({ services })));
        } catch (error) {
          sendJson(response, 500, { error: `reading node facts failed: ${(error as Error).message}` });
        }
        return;
      }
      if (path === '/bulk') {
        onlyParams(url.searchParams, ['bytes']);
        const bytes = integerParam(url.searchParams, 'bytes', 0, MAX_TRANSFER_BYTES);
        if (bulks >= MAX_CONCURRENT_TRANSFERS) {
          sendJson(response, 429, { error: `more than ${MAX_CONCURRENT_TRANSFERS} bulk answers at once` });
          return;
        }
        bulks += 1;
        try {
          await streamBulk(response, bytes, request.method === 'HEAD');
        } finally {
          bulks -= 1;
        }
        return;
      }
      if (path === '/probe') {
        if (!options.podProbes) {
          sendJson(response, 403, { error: 'probes from pod network namespaces are off on this agent (NETCHECK_AGENT_POD_PROBES=on enables them)' });
          return;
        }
        onlyParams(url.searchParams, ['pod', 'target', 'timeoutMs']);
        const pod = url.searchParams.getAll('pod');
        if (pod.length !== 1 || isIP(pod[0] as string) === 0) throw new BadRequest('pod=<pod IP> is required once');
        const targets = url.searchParams.getAll('target').map((t) => parseAddress(t, 'target'));
        if (targets.length === 0 || targets.length > MAX_POD_PROBE_TARGETS) throw new BadRequest(`give 1–${MAX_POD_PROBE_TARGETS} target=<ip>:<port>`);
        const timeoutMs = integerParam(url.searchParams, 'timeoutMs', 1, MAX_TRANSFER_TIMEOUT_MS, 2_000);
        sendJson(
          response,
          200,
          await (options.probeFromPod ?? probeFromPod)(pod[0] as string, targets, timeoutMs, options.podNetnsPrefix ? { netnsPrefix: options.podNetnsPrefix } : {}),
        );
        return;
      }
      if (path === '/resolve') {
        onlyParams(url.searchParams, ['server', 'name', 'timeoutMs']);
        const servers = url.searchParams.getAll('server');
        if (servers.length !== 1) throw new BadRequest('server=<ip>:<port> is required once');
        const server = parseAddress(servers[0] as string, 'server');
        const names = url.searchParams.getAll('name');
        const name = names[0] ?? '';
        // A DNS name of letters, digits, hyphens and dots only: nothing else reaches the resolver.
        if (names.length !== 1 || name.length > 253 || !/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$/i.test(name)) {
          throw new BadRequest('name=<DNS name> is required once');
        }
        const timeoutMs = integerParam(url.searchParams, 'timeoutMs', 1, MAX_TRANSFER_TIMEOUT_MS, 2_000);
        sendJson(response, 200, await resolveFromNode(server, name, timeoutMs));
        return;
      }
      // A HEAD would start a transfer whose result nobody can read.
      if (request.method === 'HEAD') {
        sendJson(response, 405, { error: 'method HEAD not allowed on /transfer; use GET' }, { allow: 'GET' });
        return;
      }
      onlyParams(url.searchParams, ['peer', 'bytes', 'timeoutMs']);
      const peer = parsePeer(url.searchParams);
      const bytes = integerParam(url.searchParams, 'bytes', 1, MAX_TRANSFER_BYTES);
      const timeoutMs = integerParam(url.searchParams, 'timeoutMs', 1, MAX_TRANSFER_TIMEOUT_MS, DEFAULT_TRANSFER_TIMEOUT_MS);
      if (transfers >= MAX_CONCURRENT_TRANSFERS) {
        sendJson(response, 429, { error: `more than ${MAX_CONCURRENT_TRANSFERS} transfers at once` });
        return;
      }
      transfers += 1;
      try {
        const result = await fetchFromPeer({ peerIp: peer.ip, peerPort: peer.port, bytes, token: options.token, from: nodeName, stallMs: Math.min(stallMs, timeoutMs), timeoutMs });
        sendJson(response, 200, result);
      } finally {
        transfers -= 1;
      }
    } catch (error) {
      if (error instanceof BadRequest) sendJson(response, 400, { error: error.message });
      else throw error;
    }
  };

  // Node enforces the header and request deadlines only when it checks, every 30 s by default: a
  // trickling client would hold its socket that long. Check every second, and bound the sockets.
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.destroy();
    });
  });
  // A slow or idle client must not pin sockets on a node-wide port.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const hostForUrl = family === 'IPv6' ? `[${address}]` : address;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
