// A small authoritative DNS server for the demo's cluster.local zone, over UDP and TCP like
// CoreDNS. The answers come from a callback that reads the live object store, so a test that
// upserts a Service sees its name resolve on the next query.

import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type Packet } from 'dns-packet';

export type DnsLookupResult =
  | { kind: 'addresses'; addresses: string[] }
  /** `then`: what the CNAME target resolves to; 'unknown' when we cannot know (no upstream). */
  | { kind: 'cname'; target: string; then: DnsLookupResult | 'unknown' }
  | { kind: 'nxdomain' };

export interface DemoDnsServerOptions {
  /** Loopback addresses to serve on (the kube-dns ClusterIP and the CoreDNS pod IPs). */
  hosts: string[];
  port: number;
  lookup: (name: string) => DnsLookupResult;
}

export interface DemoDnsServer {
  close(): Promise<void>;
}

const FORMERR = 1;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const TTL = 5;

export function answerQuery(query: Packet, lookup: (name: string) => DnsLookupResult): Buffer {
  const question = query.questions?.[0];
  const base = { type: 'response' as const, id: query.id ?? 0, questions: query.questions ?? [] };
  const recursionDesired = (query.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
  if (!question) return dnsPacket.encode({ ...base, flags: FORMERR | recursionDesired });
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const result = lookup(name);
  const flags = dnsPacket.AUTHORITATIVE_ANSWER | recursionDesired;
  if (result.kind === 'nxdomain') return dnsPacket.encode({ ...base, flags: flags | NXDOMAIN });
  const answers: Answer[] = [];
  let final: DnsLookupResult | 'unknown' = result;
  let owner = question.name;
  if (result.kind === 'cname') {
    // Like CoreDNS for an ExternalName: the CNAME, then whatever the target resolves to.
    answers.push({ type: 'CNAME', name: question.name, ttl: TTL, class: 'IN', data: result.target });
    final = result.then;
    owner = result.target;
  }
  // With no upstream to ask (the demo never leaves loopback), an outside target is a SERVFAIL, as
  // CoreDNS answers when its upstream is unreachable.
  if (final === 'unknown') return dnsPacket.encode({ ...base, flags: flags | SERVFAIL, answers });
  if (final.kind === 'nxdomain') return dnsPacket.encode({ ...base, flags: flags | NXDOMAIN, answers });
  if (final.kind === 'addresses' && question.type === 'A') {
    for (const address of final.addresses) answers.push({ type: 'A', name: owner, ttl: TTL, class: 'IN', data: address });
  }
  // Any other type for an existing name: NOERROR with no answers (NODATA), as CoreDNS answers AAAA on an IPv4 cluster.
  return dnsPacket.encode({ ...base, flags, answers });
}

export async function startDemoDnsServer(opts: DemoDnsServerOptions): Promise<DemoDnsServer> {
  const udpSockets: dgram.Socket[] = [];
  const tcpServers: net.Server[] = [];
  const tcpClients = new Set<net.Socket>();

  const closeAll = async (): Promise<void> => {
    for (const client of tcpClients) client.destroy();
    await Promise.all([
      ...udpSockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ...tcpServers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ]);
  };

  try {
    for (const host of opts.hosts) {
      const udp = dgram.createSocket('udp4');
      udp.on('message', (message, remote) => {
        let query: Packet;
        try {
          query = dnsPacket.decode(message);
        } catch {
          return; // not DNS: a real server drops it too
        }
        udp.send(answerQuery(query, opts.lookup), remote.port, remote.address);
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(opts.port, host, () => resolve());
      });
      udpSockets.push(udp);

      const tcp = net.createServer((socket) => {
        tcpClients.add(socket);
        socket.on('close', () => tcpClients.delete(socket));
        socket.on('error', () => socket.destroy());
        let buffered = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
            const length = buffered.readUInt16BE(0);
            const message = buffered.subarray(2, 2 + length);
            buffered = buffered.subarray(2 + length);
            let query: Packet;
            try {
              query = dnsPacket.decode(message);
            } catch {
              socket.destroy();
              return;
            }
            const answer = answerQuery(query, opts.lookup);
            const framed = Buffer.alloc(2 + answer.length);
            framed.writeUInt16BE(answer.length, 0);
            answer.copy(framed, 2);
            socket.write(framed);
          }
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(opts.port, host, () => resolve());
      });
      tcpServers.push(tcp);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { close: closeAll };
}
