import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentServer, type AgentServer } from '../../lib/agent/server.js';
import { readNodeFacts } from '../../lib/agent/node-facts.js';
import { fetchNodeAgents } from '../../lib/gather/agents.js';
import type { NodeFact } from '../../lib/model/index.js';

// The agent and its client over real loopback sockets: the token gate, and every way an agent
// can fail to answer becoming a status instead of a hang.

const TOKEN = 'a'.repeat(64);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

function node(name: string): NodeFact {
  return { name, labels: {}, ready: true, networkUnavailable: false, internalIP: '127.0.0.1', podCIDRs: [], unschedulable: false, taints: [] };
}

let agent: AgentServer;
let silent: TcpServer;
let silentSockets: Socket[] = [];
let notJson: HttpServer;
let wrongShape: HttpServer;
let closedPort: number;

async function listen(server: TcpServer | HttpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  agent = await startAgentServer({ host: '127.0.0.1', port: 0, token: TOKEN });
  // Accepts the connection and never answers: what a wedged agent looks like.
  silent = createTcpServer((socket) => silentSockets.push(socket));
  await listen(silent);
  notJson = createHttpServer((_request, response) => response.end('<html>not json</html>'));
  await listen(notJson);
  wrongShape = createHttpServer((_request, response) => response.end('{"ipForward":"yes"}'));
  await listen(wrongShape);
  const probe = createTcpServer();
  closedPort = await listen(probe);
  probe.close();
  await once(probe, 'close');
});

afterAll(async () => {
  await agent?.close();
  for (const socket of silentSockets) socket.destroy();
  silentSockets = [];
  silent?.close();
  notJson?.close();
  wrongShape?.close();
});

describe('agent server', () => {
  it('serves /healthz without a token', async () => {
    const response = await fetch(`${agent.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token of the same length', `Bearer ${'b'.repeat(64)}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
    ['the token without the Bearer scheme', TOKEN],
    ['basic auth', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`],
  ])('answers 401 to %s', async (_label, authorization) => {
    const response = await fetch(`${agent.url}/facts`, authorization ? { headers: { authorization } } : {});
    expect(response.status).toBe(401);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'missing or wrong bearer token' });
  });

  it('serves this machine\'s kernel facts with the token', async () => {
    const response = await fetch(`${agent.url}/facts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const facts = (await response.json()) as Awaited<ReturnType<typeof readNodeFacts>>;
    const local = await readNodeFacts();
    expect(facts.ipForward).toBe(local.ipForward);
    expect(facts.interfaces.map((iface) => iface.name)).toEqual(local.interfaces.map((iface) => iface.name));
  });

  it('names unknown paths and refuses other methods', async () => {
    expect((await fetch(`${agent.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${agent.url}/facts`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('refuses to start with a short token', async () => {
    await expect(startAgentServer({ host: '127.0.0.1', port: 0, token: 'short' })).rejects.toThrow(/at least 32 characters/);
  });
});

describe('fetchNodeAgents', () => {
  it('returns the facts of an agent that answers', async () => {
    const [result] = await fetchNodeAgents([node('n1')], ['n1'], { port: agent.port, token: TOKEN, timeoutMs: 10_000 });
    expect(result?.status).toBe('ok');
    expect(result?.facts?.readAt).toMatch(/^\d{4}-/);
  });

  it('reports a wrong token as unauthorized', async () => {
    const [result] = await fetchNodeAgents([node('n1')], ['n1'], { port: agent.port, token: 'c'.repeat(64), timeoutMs: 10_000 });
    expect(result).toMatchObject({ node: 'n1', status: 'unauthorized' });
  });

  it('reports a closed port as unreachable', async () => {
    const [result] = await fetchNodeAgents([node('n1')], ['n1'], { port: closedPort, token: TOKEN, timeoutMs: 10_000 });
    expect(result).toMatchObject({ node: 'n1', status: 'unreachable' });
    expect(result?.detail).toMatch(/ECONNREFUSED/);
  });

  it('gives up on an agent that never answers after the deadline, not later', async () => {
    const port = (silent.address() as AddressInfo).port;
    const started = Date.now();
    const [result] = await fetchNodeAgents([node('n1')], ['n1'], { port, token: TOKEN, timeoutMs: 300 });
    expect(result).toMatchObject({ node: 'n1', status: 'timeout', detail: `127.0.0.1:${port}: no answer within 300 ms` });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('reports a body that is not JSON, or not node facts, as error', async () => {
    const ask = (server: HttpServer) =>
      fetchNodeAgents([node('n1')], ['n1'], { port: (server.address() as AddressInfo).port, token: TOKEN, timeoutMs: 10_000 });
    const [html] = await ask(notJson);
    expect(html).toMatchObject({ status: 'error' });
    expect(html?.detail).toMatch(/answered something that is not JSON: <html>/);
    const [shape] = await ask(wrongShape);
    expect(shape).toMatchObject({ status: 'error' });
    expect(shape?.detail).toMatch(/answered JSON that is not node facts: ipForward: /);
  });

  it('asks every node in parallel and keeps their order; unknown names and missing addresses are reported', async () => {
    const nodes = [node('n1'), node('n2'), { ...node('no-ip'), internalIP: undefined }];
    const results = await fetchNodeAgents(nodes, ['n1', 'n2', 'ghost', 'no-ip'], {
      port: agent.port,
      token: TOKEN,
      timeoutMs: 10_000,
      address: (n) => n.internalIP,
    });
    expect(results.map((r) => [r.node, r.status])).toEqual([
      ['n1', 'ok'],
      ['n2', 'ok'],
      ['ghost', 'error'],
      ['no-ip', 'unreachable'],
    ]);
    const started = Date.now();
    const wedged = await fetchNodeAgents([node('a'), node('b')], ['a', 'b'], {
      port: (silent.address() as AddressInfo).port,
      token: TOKEN,
      timeoutMs: 1000,
    });
    expect(wedged.map((r) => r.status)).toEqual(['timeout', 'timeout']);
    // Asked one after the other, two wedged agents would cost two deadlines.
    expect(Date.now() - started).toBeLessThan(2 * 1000);
  });
});

describe('bin/agent.ts', () => {
  function runAgent(env: Record<string, string>): ChildProcess {
    return spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  async function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('refuses to start without a token, naming the variables', async () => {
    const result = await collect(runAgent({ NODE_IP: '127.0.0.1' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('NETCHECK_AGENT_TOKEN or NETCHECK_AGENT_TOKEN_FILE is required');
  });

  it('lists every bad setting at once', async () => {
    const result = await collect(runAgent({ NETCHECK_AGENT_TOKEN: 'short', NETCHECK_AGENT_PORT: '99999', NODE_IP: 'node-1' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('at least 32 characters (got 5)');
    expect(result.stderr).toContain('NETCHECK_AGENT_PORT must be a port number 1–65535 (got "99999")');
    expect(result.stderr).toContain('NODE_IP must be an IPv4 or IPv6 address (got "node-1")');
  });

  it('serves with a token file, binds NODE_IP, and exits cleanly on SIGTERM', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'netcheck-agent-'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    const child = runAgent({ NETCHECK_AGENT_TOKEN_FILE: join(dir, 'token'), NETCHECK_AGENT_PORT: String(closedPort), NODE_IP: '127.0.0.1' });
    try {
      const done = collect(child);
      const url = await new Promise<string>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('agent did not report listening within 15 s')), 15_000);
        let buffered = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const match = /"url":"([^"]+)"/.exec(buffered);
          if (match?.[1]) {
            clearTimeout(deadline);
            resolve(match[1]);
          }
        });
        child.once('exit', () => reject(new Error('agent exited before listening')));
      });
      expect(url).toBe(`http://127.0.0.1:${closedPort}`);
      expect((await fetch(`${url}/facts`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      child.kill('SIGTERM');
      const result = await done;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('"signal":"SIGTERM"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
