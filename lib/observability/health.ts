import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { workerMetrics } from './metrics.js';

export interface HealthServerOptions {
  port: number;
  /** Bind address; the pod binds 0.0.0.0 so the kubelet can probe it, tests bind 127.0.0.1. */
  host: string;
  /** Readiness: false until the worker can take jobs (queue reachable, kube client built). */
  isReady: () => boolean;
  registry?: Registry;
}

export interface HealthServer {
  url: string;
  close: () => Promise<void>;
}

function reply(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

async function route(request: IncomingMessage, response: ServerResponse, options: HealthServerOptions): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://health.invalid').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    reply(response, 405, 'text/plain; charset=utf-8', `method ${request.method ?? ''} not allowed\n`);
    return;
  }
  switch (path) {
    case '/healthz':
      reply(response, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case '/readyz': {
      let ready = false;
      try {
        ready = options.isReady();
      } catch {
        ready = false;
      }
      reply(response, ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ready\n' : 'not ready\n');
      return;
    }
    case '/metrics': {
      const registry = options.registry ?? workerMetrics.registry;
      reply(response, 200, registry.contentType, await registry.metrics());
      return;
    }
    default:
      reply(response, 404, 'text/plain; charset=utf-8', `no route ${path}; try /healthz, /readyz or /metrics\n`);
  }
}

/** Liveness, readiness and Prometheus metrics for the worker pod. Resolves once listening. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error(`health port must be an integer 0–65535, got ${String(options.port)}`);
  }
  const server = createServer((request, response) => {
    route(request, response, options).catch((error: unknown) => {
      if (!response.headersSent) {
        reply(response, 500, 'text/plain; charset=utf-8', `internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      } else {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
