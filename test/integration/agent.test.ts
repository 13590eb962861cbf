import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAgentServer, type AgentServer } from '../../lib/agent/server.js';
import type { AgentFactsRequest } from '../../lib/agent/facts.js';
import { readNodeFacts } from '../../lib/agent/node-facts.js';
import { fetchNodeAgents, transferBetween } from '../../lib/gather/agents.js';
import type { NodeFact, NodeKernelFacts, TransferProbeFact } from '../../lib/model/index.js';
import { withContext } from '../support/with-context.js';

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

  for (const [label, authorization] of [
    ['no Authorization header', undefined],
    ['a wrong token of the same length', `Bearer ${'b'.repeat(64)}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 10)}`],
    ['the token without the Bearer scheme', TOKEN],
    ['basic auth', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`],
  ] as const) {
    it(`answers 401 to ${label}`, async () => {
      const response = await fetch(`${agent.url}/facts`, authorization ? { headers: { authorization } } : {});
      expect(response.status).toBe(401);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({ error: 'missing or wrong bearer token' });
    });
  }

  it("serves this machine's kernel facts with the token", async () => {
    const response = await fetch(`${agent.url}/facts`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const facts = (await response.json()) as Awaited<ReturnType<typeof readNodeFacts>>;
    const local = await readNodeFacts();
    expect(facts.ipForward).toBe(local.ipForward);
    expect(facts.interfaces.map((iface) => iface.name)).toEqual(local.interfaces.map((iface) => iface.name));
  });

  it('refuses pod probes unless opted in, and bad pod-probe input before anything runs', async () => {
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const off = await fetch(`${agent.url}/probe?pod=10.244.1.5&target=10.96.0.20:80`, auth);
    expect(off.status).toBe(403);
    expect(((await off.json()) as { error: string }).error).toMatch(/NETCHECK_AGENT_POD_PROBES=on/);
    let ran = 0;
    const optedIn = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      podProbes: true,
      probeFromPod: async () => {
        ran++;
        return { unknown: 'unknown, because no network namespace holds 10.244.1.5' };
      },
    });
    try {
      for (const query of ['pod=not-an-ip&target=10.96.0.20:80', 'pod=10.244.1.5', 'pod=10.244.1.5&target=10.96.0.20:99999', 'pod=10.244.1.5&target=$(reboot):80']) {
        const { status } = await fetch(`${optedIn.url}/probe?${query}`, auth);
        withContext(query, () => expect(status).toBe(400));
      }
      expect(ran).toBe(0);
      const answer = await fetch(`${optedIn.url}/probe?pod=10.244.1.5&target=10.96.0.20:80`, auth);
      expect(await answer.json()).toEqual({ unknown: 'unknown, because no network namespace holds 10.244.1.5' });
      expect(ran).toBe(1);
    } finally {
      await optedIn.close();
    }
  });

  it('cuts a client that trickles its headers within seconds, and refuses sockets beyond its bound', async () => {
    const { connect } = await import('node:net');
    const { port } = new URL(agent.url);
    const trickler = connect({ host: '127.0.0.1', port: Number(port) });
    trickler.on('error', () => undefined);
    // Read what the server sends (its 408), or the socket never reaches 'close'.
    trickler.resume();
    trickler.write('GET /facts HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    // Resolves on the server's close: the 5 s header deadline, checked every second, not every 30 s.
    await new Promise<void>((resolve) => trickler.once('close', () => resolve()));
    expect(Date.now() - started).toBeLessThan(9_000);

    const bounded = await startAgentServer({ host: '127.0.0.1', port: 0, token: TOKEN, maxConnections: 2 });
    try {
      const boundedPort = Number(new URL(bounded.url).port);
      const open = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<ReturnType<typeof connect>>((resolve) => {
              const socket = connect({ host: '127.0.0.1', port: boundedPort }, () => resolve(socket));
            }),
        ),
      );
      const third = connect({ host: '127.0.0.1', port: boundedPort });
      third.on('error', () => undefined);
      third.resume();
      await new Promise<void>((resolve) => third.once('close', () => resolve()));
      for (const socket of open) socket.destroy();
    } finally {
      await bounded.close();
    }
  }, 15_000);

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
    const ask = (server: HttpServer) => fetchNodeAgents([node('n1')], ['n1'], { port: (server.address() as AddressInfo).port, token: TOKEN, timeoutMs: 10_000 });
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

  it('refuses a NODE_NAME that is not a node name', async () => {
    const result = await collect(runAgent({ NETCHECK_AGENT_TOKEN: TOKEN, NODE_IP: '127.0.0.1', NODE_NAME: 'Node 1; rm' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('NODE_NAME must be a Kubernetes node name (lower-case DNS subdomain; got "Node 1; rm")');
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

describe('agent /facts with Service addresses', () => {
  let spy: AgentServer;
  const requests: AgentFactsRequest[] = [];
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    // Answers without reading anything, so the tests see exactly what reached the reader.
    spy = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      readFacts: async (request) => {
        requests.push(request);
        return { ...(await readNodeFacts()), netfilter: null, serviceRules: [], conntrackEntries: [], unknown: { netfilter: 'unknown, because this is a test' } };
      },
    });
  });
  afterAll(async () => {
    await spy?.close();
  });

  it('includes netfilter and the two (empty) arrays in a plain /facts answer', async () => {
    const response = await fetch(`${agent.url}/facts`, { headers: auth });
    expect(response.status).toBe(200);
    const facts = (await response.json()) as NodeKernelFacts;
    expect(facts).toHaveProperty('netfilter');
    expect(facts.serviceRules).toEqual([]);
    expect(facts.conntrackEntries).toEqual([]);
  });

  it('reads kube-proxy rules and conntrack entries for the addresses asked about', async () => {
    const response = await fetch(`${agent.url}/facts?service=10.96.0.20:80/tcp&service=${encodeURIComponent('[fd00::20]:53/udp')}`, { headers: auth });
    expect(response.status).toBe(200);
    const facts = (await response.json()) as NodeKernelFacts;
    expect(facts.serviceRules?.map((rule) => [rule.ip, rule.port, rule.protocol])).toEqual([
      ['10.96.0.20', 80, 'TCP'],
      ['fd00::20', 53, 'UDP'],
    ]);
    // Entries or an "unknown, because …" per address, whatever this machine allows.
    for (const address of ['10.96.0.20:80/tcp', '[fd00::20]:53/udp']) {
      const read = facts.conntrackEntries?.some((entry) => `${entry.ip.includes(':') ? `[${entry.ip}]` : entry.ip}:${entry.port}/${entry.protocol.toLowerCase()}` === address);
      withContext(address, () => expect(read || facts.unknown[`conntrackEntries.${address}`] !== undefined).toBe(true));
    }
  });

  it('hands validated, de-duplicated addresses to the reader', async () => {
    requests.length = 0;
    const query = ['10.96.0.20:80/tcp', '10.96.0.20:80/TCP', 'fd00:0::20:53/udp', '10.96.0.21:8080/sctp'].map((value) => `service=${encodeURIComponent(value)}`).join('&');
    expect((await fetch(`${spy.url}/facts?${query}`, { headers: auth })).status).toBe(200);
    expect(requests).toEqual([
      {
        services: [
          { ip: '10.96.0.20', port: 80, protocol: 'TCP' },
          { ip: 'fd00::20', port: 53, protocol: 'UDP' },
          { ip: '10.96.0.21', port: 8080, protocol: 'SCTP' },
        ],
      },
    ]);
  });

  for (const [label, query, message] of [
    ['an address that is not an IP', 'service=web.shop:80/tcp', /is not an IP address/],
    ['port 0', 'service=10.96.0.20:0/tcp', /port 0 .* is not 1–65535/],
    ['port 65536', 'service=10.96.0.20:65536/tcp', /port 65536 .* is not 1–65535/],
    ['a protocol other than tcp/udp/sctp', 'service=10.96.0.20:80/icmp', /protocol "icmp"/],
    ['no port', 'service=10.96.0.20/tcp', /is not <ip>:<port>\/<tcp\|udp\|sctp>/],
    ['a shell-looking value', `service=${encodeURIComponent('10.96.0.20:80/tcp;rm -rf /')}`, /is not <ip>:<port>/],
    ['more than 32 addresses', Array.from({ length: 33 }, (_, i) => `service=10.96.0.${i}:80/tcp`).join('&'), /at most 32 service parameters \(got 33\)/],
    ['an unknown parameter', 'services=10.96.0.20:80/tcp', /unknown query parameter "services"/],
  ] as const) {
    it(`answers 400 to ${label}, without reading anything`, async () => {
      requests.length = 0;
      const response = await fetch(`${spy.url}/facts?${query}`, { headers: auth });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string };
      expect(body.error).toMatch(message);
      expect(requests).toEqual([]);
    });
  }

  it('answers 401 before looking at the parameters', async () => {
    expect((await fetch(`${spy.url}/facts?service=nonsense`)).status).toBe(401);
    expect((await fetch(`${spy.url}/bulk?bytes=10`)).status).toBe(401);
    expect((await fetch(`${spy.url}/transfer?peer=127.0.0.1:1&bytes=10`)).status).toBe(401);
  });

  it("passes the engine's Service addresses through fetchNodeAgents", async () => {
    requests.length = 0;
    const [result] = await fetchNodeAgents([node('n1')], ['n1'], {
      port: spy.port,
      token: TOKEN,
      timeoutMs: 10_000,
      services: [
        { ip: '10.96.0.20', port: 80, protocol: 'TCP' },
        { ip: 'fd00::20', port: 53, protocol: 'UDP' },
      ],
    });
    expect(result).toMatchObject({ status: 'ok', facts: { netfilter: null, serviceRules: [], conntrackEntries: [] } });
    expect(requests.at(-1)?.services).toEqual([
      { ip: '10.96.0.20', port: 80, protocol: 'TCP' },
      { ip: 'fd00::20', port: 53, protocol: 'UDP' },
    ]);
  });

  it('still parses the answer of an agent older than the netfilter reader', async () => {
    const old = createHttpServer((_request, response) => {
      void readNodeFacts().then((facts) =>
        response.end(JSON.stringify({ ...facts, interfaces: facts.interfaces.map((i) => ({ ...i, kind: i.kind === 'pod' ? 'other' : i.kind })) })),
      );
    });
    const port = await listen(old);
    try {
      const [result] = await fetchNodeAgents([node('n1')], ['n1'], { port, token: TOKEN, timeoutMs: 10_000, services: [{ ip: '10.96.0.20', port: 80, protocol: 'TCP' }] });
      expect(result?.status).toBe('ok');
      expect(result?.facts?.netfilter).toBeUndefined();
    } finally {
      old.close();
    }
  });
});

describe('agent /bulk and /transfer', () => {
  let first: AgentServer;
  let second: AgentServer;
  let otherToken: AgentServer;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    first = await startAgentServer({ host: '127.0.0.1', port: 0, token: TOKEN, nodeName: 'node-a', transferStallMs: 300 });
    // The same port on another loopback address: transferBetween reaches every agent on one port.
    second = await startAgentServer({ host: '127.0.0.2', port: first.port, token: TOKEN, nodeName: 'node-b' });
    otherToken = await startAgentServer({ host: '127.0.0.3', port: first.port, token: 'd'.repeat(64) });
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close(), otherToken?.close()]);
  });

  it('streams exactly the bytes asked for, up to 4 MiB', async () => {
    const response = await fetch(`${first.url}/bulk?bytes=100000`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('100000');
    expect((await response.arrayBuffer()).byteLength).toBe(100000);
    for (const query of ['bytes=4194305', 'bytes=-1', 'bytes=1e6', '', 'bytes=10&bytes=20', 'bytes=10&peer=x']) {
      const bad = await fetch(`${first.url}/bulk?${query}`, { headers: auth });
      withContext(query, () => expect(bad.status).toBe(400));
    }
  });

  it('fetches from the peer agent with the same token and reports a complete transfer', async () => {
    const response = await fetch(`${first.url}/transfer?peer=127.0.0.2:${first.port}&bytes=${4 * 1024 * 1024}`, { headers: auth });
    expect(response.status).toBe(200);
    const result = (await response.json()) as TransferProbeFact;
    expect(result).toMatchObject({ from: 'node-a', to: `127.0.0.2:${first.port}`, bytes: 4 * 1024 * 1024, received: 4 * 1024 * 1024, outcome: 'complete' });
    expect(result.ms).toBeGreaterThanOrEqual(0);
  });

  it('names a refused peer, a peer with another token, and a peer that accepts but never sends', async () => {
    const ask = async (peer: string) => (await (await fetch(`${first.url}/transfer?peer=${encodeURIComponent(peer)}&bytes=65536`, { headers: auth })).json()) as TransferProbeFact;
    expect(await ask(`127.0.0.1:${closedPort}`)).toMatchObject({ outcome: 'refused', received: 0 });
    const wrongToken = await ask(`127.0.0.3:${first.port}`);
    expect(wrongToken).toMatchObject({ outcome: 'error' });
    expect(wrongToken.detail).toMatch(/answered HTTP 401: the agents hold different tokens/);
    const started = Date.now();
    const stalled = await ask(`127.0.0.1:${(silent.address() as AddressInfo).port}`);
    expect(stalled).toMatchObject({ outcome: 'stalled', received: 0 });
    expect(stalled.detail).toMatch(/no bytes for 300 ms after 0 of 65536/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects a bad peer or size with 400 and refuses HEAD', async () => {
    for (const query of [
      'bytes=10',
      'peer=127.0.0.2&bytes=10',
      'peer=node-b:9807&bytes=10',
      'peer=127.0.0.2:0&bytes=10',
      `peer=127.0.0.2:${first.port}&bytes=0`,
      `peer=127.0.0.2:${first.port}&bytes=99999999`,
      `peer=[127.0.0.2]:${first.port}&bytes=10`,
    ]) {
      const response = await fetch(`${first.url}/transfer?${query}`, { headers: auth });
      withContext(query, () => expect(response.status).toBe(400));
      expect(((await response.json()) as { error: string }).error.length).toBeGreaterThan(0);
    }
    expect((await fetch(`${first.url}/transfer?peer=127.0.0.2:${first.port}&bytes=10`, { method: 'HEAD', headers: auth })).status).toBe(405);
  });

  it('transferBetween names the Kubernetes nodes and never throws', async () => {
    const a = { ...node('ip-10-0-0-1.internal'), internalIP: '127.0.0.1' };
    const b = { ...node('ip-10-0-0-2.internal'), internalIP: '127.0.0.2' };
    const result = await transferBetween(a, b, { port: first.port, token: TOKEN, timeoutMs: 10_000, bytes: 256 * 1024 });
    expect(result).toMatchObject({ from: 'ip-10-0-0-1.internal', to: 'ip-10-0-0-2.internal', bytes: 256 * 1024, received: 256 * 1024, outcome: 'complete' });

    const unreachable = await transferBetween(a, b, { port: closedPort, token: TOKEN, timeoutMs: 2_000, bytes: 1024 });
    expect(unreachable).toMatchObject({ from: 'ip-10-0-0-1.internal', to: 'ip-10-0-0-2.internal', outcome: 'error', received: 0 });
    expect(unreachable.detail).toMatch(/ECONNREFUSED/);

    const started = Date.now();
    const wedged = await transferBetween({ ...a, internalIP: '127.0.0.1' }, b, { port: (silent.address() as AddressInfo).port, token: TOKEN, timeoutMs: 1_500, bytes: 1024 });
    expect(wedged).toMatchObject({ outcome: 'error' });
    expect(wedged.detail).toMatch(/no answer within/);
    expect(Date.now() - started).toBeLessThan(4_000);

    expect(await transferBetween({ ...a, internalIP: undefined }, b, { port: first.port, token: TOKEN, timeoutMs: 1_000, bytes: 1 })).toMatchObject({ outcome: 'skipped' });
    expect(await transferBetween(a, b, { port: first.port, token: TOKEN, timeoutMs: 1_000, bytes: 1, address: () => 'not-an-ip' })).toMatchObject({ outcome: 'error' });
  });
});
