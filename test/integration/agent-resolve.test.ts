// The agent's /resolve over real sockets: a real UDP DNS server on loopback, the agent server,
// and the worker's resolveVia reading its answer. Bad input is a 400 that reaches no resolver.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { request } from 'node:http';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startAgentServer, type AgentServer } from '../../lib/agent/server.js';
import { resolveVia } from '../../lib/gather/agents.js';
import type { NodeFact } from '../../lib/model/index.js';

const TOKEN = 'r'.repeat(40);
const NAME = 'kubernetes.default.svc.cluster.local';

let dns: UdpSocket;
let agent: AgentServer;
const queries: string[] = [];
const node: NodeFact = { name: 'node-1', labels: {}, ready: true, networkUnavailable: null, internalIP: '127.0.0.1', podCIDRs: [], unschedulable: false, taints: [] };

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${agent.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dns = createSocket('udp4');
  dns.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    queries.push(question.name);
    const known = question.name === NAME;
    dns.send(
      dnsPacket.encode({
        type: 'response',
        id: query.id ?? 0,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3),
        questions: query.questions ?? [],
        answers: known ? [{ type: 'A', name: question.name, ttl: 5, data: '10.96.0.1' }] : [],
      }),
      remote.port,
      remote.address,
    );
  });
  dns.bind(0, '127.0.0.1');
  await once(dns, 'listening');
  agent = await startAgentServer({ host: '127.0.0.1', port: 0, token: TOKEN });
});

afterAll(async () => {
  await agent?.close();
  dns?.close();
});

describe('agent /resolve', () => {
  it("resolves through the given server from the node's network, read by resolveVia", async () => {
    const options = { port: agent.port, token: TOKEN, timeoutMs: 2000, probeTimeoutMs: 1000 };
    const server = { host: '127.0.0.1', port: dns.address().port };
    expect(await resolveVia(node, server, NAME, options)).toMatchObject({
      purpose: 'node-resolve',
      node: 'node-1',
      outcome: 'resolved',
      addresses: ['10.96.0.1'],
      server: `127.0.0.1:${server.port}`,
    });
    expect(await resolveVia(node, server, 'nothing.shop.svc.cluster.local', options)).toMatchObject({ outcome: 'nxdomain', node: 'node-1' });
  });

  it('an agent that cannot be asked is a skipped lookup saying why, not a DNS failure', async () => {
    const answer = await resolveVia(node, { host: '127.0.0.1', port: dns.address().port }, NAME, { port: 1, token: TOKEN, timeoutMs: 500, probeTimeoutMs: 500 });
    expect(answer).toMatchObject({ outcome: 'skipped', node: 'node-1' });
    expect(answer.detail).toMatch(/did not answer/);
  });

  it('refuses a name that is no DNS name and a server that is no address, before any lookup', async () => {
    const before = queries.length;
    const port = dns.address().port;
    expect((await get(`/resolve?server=127.0.0.1:${port}&name=${encodeURIComponent('a b;rm -rf /')}`)).status).toBe(400);
    expect((await get(`/resolve?server=example.com:53&name=${NAME}`)).status).toBe(400);
    expect((await get(`/resolve?server=127.0.0.1:${port}&name=${NAME}&extra=1`)).status).toBe(400);
    expect(queries.length).toBe(before);
  });
});
