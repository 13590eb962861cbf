import { mapWithConcurrency } from '../concurrency.js';
import { isIP } from 'node:net';
import { hostPort, type ServiceAddress } from './service-address.js';
import { runTool, unknownBecause, type ToolRunner } from './tools.js';
import type { ConntrackEntriesFact } from '../model/index.js';

// Connection-tracking entries towards a Service address: `[UNREPLIED]` entries are SYNs (or UDP
// requests) nobody answered, and their reply tuple says which backend the DNAT picked — the
// "SYN, no SYN-ACK from 10.244.2.10:8080" evidence without a packet capture.
//
// conntrack-tools 1.4.7 prints entries on stdout and "N flow entries have been shown." on
// stderr, exiting 0 even when N is 0. A failure (no CAP_NET_ADMIN, nf_conntrack unavailable)
// exits 1 with the reason on stderr: that is "unknown", never zero entries.

export interface ConntrackLine {
  protocol: string;
  state?: string;
  original: { src?: string; dst?: string; sport?: number; dport?: number };
  reply: { src?: string; dst?: string; sport?: number; dport?: number };
  unreplied: boolean;
}

const MAX_SAMPLES = 5;
const L4_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp', 'icmp', 'icmpv6', 'gre', 'unknown']);

/** Parse one `conntrack -L` line (default or `-o extended` output); undefined for anything else. */
export function parseConntrackLine(line: string): ConntrackLine | undefined {
  const words = line.trim().split(/\s+/);
  let at = 0;
  if (words[0] === 'ipv4' || words[0] === 'ipv6') at = 2;
  const protocol = words[at];
  if (!protocol || !L4_PROTOCOLS.has(protocol)) return undefined;
  const entry: ConntrackLine = { protocol, original: {}, reply: {}, unreplied: false };
  // protocol name, protocol number, seconds left, then an optional state word.
  at += 3;
  if (words[at] && /^[A-Z_]+$/.test(words[at] as string)) entry.state = words[at++];
  let tuple = entry.original;
  let seenSrc = false;
  for (; at < words.length; at += 1) {
    const word = words[at] as string;
    if (word === '[UNREPLIED]') {
      entry.unreplied = true;
      continue;
    }
    const eq = word.indexOf('=');
    if (eq < 0) continue;
    const key = word.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'src') {
      // The second src= starts the reply direction.
      if (seenSrc) tuple = entry.reply;
      seenSrc = true;
      tuple.src = value;
    } else if (key === 'dst') tuple.dst = value;
    else if (key === 'sport' && /^\d+$/.test(value)) tuple.sport = Number(value);
    else if (key === 'dport' && /^\d+$/.test(value)) tuple.dport = Number(value);
  }
  return entry.original.src === undefined ? undefined : entry;
}

/** Fold `conntrack -L` lines into the summary the checks read. */
export class ConntrackSummary {
  private total = 0;
  private unreplied = 0;
  private readonly unrepliedTo: Record<string, number> = {};
  private readonly samples: string[] = [];

  constructor(private readonly address: ServiceAddress) {}

  add(line: string): void {
    const entry = parseConntrackLine(line);
    if (!entry) return;
    this.total += 1;
    if (entry.unreplied) {
      this.unreplied += 1;
      const to = entry.reply.src === undefined ? '?' : entry.reply.sport === undefined ? entry.reply.src : hostPort(entry.reply.src, entry.reply.sport);
      this.unrepliedTo[to] = (this.unrepliedTo[to] ?? 0) + 1;
    }
    // Unreplied entries are the evidence worth showing; answered ones fill what room is left.
    if (this.samples.length < MAX_SAMPLES) this.samples.push(line.trim().replace(/\s+/g, ' '));
    else if (entry.unreplied) {
      const answered = this.samples.findIndex((sample) => !sample.includes('[UNREPLIED]'));
      if (answered >= 0) this.samples[answered] = line.trim().replace(/\s+/g, ' ');
    }
  }

  result(): ConntrackEntriesFact {
    return { ...this.address, total: this.total, unreplied: this.unreplied, unrepliedTo: { ...this.unrepliedTo }, samples: [...this.samples] };
  }
}

export function summarizeConntrack(address: ServiceAddress, text: string): ConntrackEntriesFact {
  const summary = new ConntrackSummary(address);
  for (const line of text.split('\n')) summary.add(line);
  return summary.result();
}

/** Fixed argv for one address; the ip and port were validated by parseServiceAddress. */
export function conntrackArgs(address: ServiceAddress): string[] {
  const args = ['-L'];
  if (isIP(address.ip) === 6) args.push('-f', 'ipv6');
  args.push('-p', address.protocol.toLowerCase(), '-d', address.ip, '--dport', String(address.port));
  return args;
}

export interface ConntrackReadOptions {
  run?: ToolRunner;
  timeoutMs?: number;
  /** A busy Service can have 100k entries; past this the answer is "unknown", not a partial count. */
  maxOutputBytes?: number;
}

export interface ConntrackRead {
  entries: ConntrackEntriesFact[];
  /** "conntrackEntries.<ip:port/proto>" → reason, for addresses that could not be read. */
  unknown: Record<string, string>;
}

export async function readConntrackEntries(addresses: readonly ServiceAddress[], options: ConntrackReadOptions = {}): Promise<ConntrackRead> {
  const run = options.run ?? runTool;
  const unknown: Record<string, string> = {};
  const results = await mapWithConcurrency(addresses, 4, async (address) => {
    if (isIP(address.ip) === 0 || !Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
      unknown[`conntrackEntries.${hostPort(address.ip, address.port)}/${address.protocol.toLowerCase()}`] = 'unknown, because the address is not an IP and port';
      return undefined;
    }
    const summary = new ConntrackSummary(address);
    const result = await run({
      command: 'conntrack',
      args: conntrackArgs(address),
      timeoutMs: options.timeoutMs ?? 5_000,
      maxBytes: options.maxOutputBytes ?? 32 * 1024 * 1024,
      onLine: (line) => summary.add(line),
    });
    if (!result.ok) {
      unknown[`conntrackEntries.${hostPort(address.ip, address.port)}/${address.protocol.toLowerCase()}`] = unknownBecause(result);
      return undefined;
    }
    return summary.result();
  });
  return { entries: results.filter((entry): entry is ConntrackEntriesFact => entry !== undefined), unknown };
}
