import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readNodeFacts } from './node-facts.js';
import { MIN_AGENT_TOKEN_LENGTH } from './token.js';
import type { NodeKernelFacts } from '../model/index.js';

// The agent listens on the node's network (hostNetwork), so every request that reveals node
// facts must carry the shared bearer token; /healthz stays open for the kubelet's probe and says
// nothing about the node.

export interface AgentServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
  readFacts?: () => Promise<NodeKernelFacts>;
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
  const readFacts = options.readFacts ?? (() => readNodeFacts());

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? '/', 'http://agent').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      sendJson(response, 405, { error: `method ${request.method ?? '?'} not allowed; use GET` }, { allow: 'GET, HEAD' });
      return;
    }
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return;
    }
    if (path !== '/facts') {
      sendJson(response, 404, { error: `no such path ${path}; the agent serves /facts and /healthz` });
      return;
    }
    if (!isAuthorized(request.headers.authorization, expectedDigest)) {
      sendJson(response, 401, { error: 'missing or wrong bearer token' }, { 'www-authenticate': 'Bearer realm="netcheck-agent"' });
      return;
    }
    try {
      sendJson(response, 200, await readFacts());
    } catch (error) {
      sendJson(response, 500, { error: `reading node facts failed: ${(error as Error).message}` });
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.destroy();
    });
  });
  // A slow or idle client must not pin sockets on a node-wide port.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

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
