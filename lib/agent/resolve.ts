// One DNS lookup from the node's own network (the agent runs with hostNetwork): does this node
// reach cluster DNS? A node that cannot (its kube-proxy rules, its netfilter, a NodeLocal cache
// gone) breaks DNS for every pod on it while lookups from elsewhere succeed (goldpinger#46).
// The server and name arrive validated (an IP and port, a DNS name); no shell, no tool.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ResolveResult {
  name: string;
  server: string;
  outcome: 'resolved' | 'nxdomain' | 'timeout' | 'refused' | 'servfail' | 'error';
  addresses?: string[];
  detail?: string;
  ms: number;
}

const OUTCOMES: Record<string, ResolveResult['outcome']> = {
  ENOTFOUND: 'nxdomain',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
  ETIMEOUT: 'timeout',
  ESERVFAIL: 'servfail',
};

export async function resolveFromNode(server: { ip: string; port: number }, name: string, timeoutMs: number): Promise<ResolveResult> {
  const serverText = isIP(server.ip) === 6 ? `[${server.ip}]:${server.port}` : `${server.ip}:${server.port}`;
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([serverText]);
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const addresses = isIP(server.ip) === 6 ? await resolver.resolve6(name) : await resolver.resolve4(name);
    return { name, server: serverText, outcome: 'resolved', addresses, ms: ms() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { name, server: serverText, outcome: OUTCOMES[code] ?? 'error', detail: code || (error as Error).message, ms: ms() };
  }
}
