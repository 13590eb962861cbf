import type { ServiceRulesFact } from '../model/index.js';
import { hostPort, type ServiceAddress } from './service-address.js';
import type { ToolRunner } from './tools.js';

// kube-proxy in IPVS mode keeps its Service backends in the kernel's IPVS table, not in netfilter
// rules: `ipvsadm -Ln -t <vip>:<port>` lists the real servers of one virtual service. IPVS cannot
// be loaded on every kernel (not on the development machines), so the parser is tested on
// recorded output and a missing ipvsadm reads as "unknown, because …".
//
//   IP Virtual Server version 1.2.1 (size=4096)
//   Prot LocalAddress:Port Scheduler Flags
//     -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
//   TCP  10.96.0.20:80 rr
//     -> 10.244.2.10:8080             Masq    1      0          0

/** Real servers ("ip:port") of the virtual services in `ipvsadm -Ln` output, by "PROTO vip:port". */
export function parseIpvsadm(text: string): Map<string, string[]> {
  const services = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const service = /^(TCP|UDP|SCTP)\s+(\S+)\s/.exec(line);
    if (service) {
      current = [];
      services.set(`${service[1]} ${service[2]}`, current);
      continue;
    }
    const real = /^\s+->\s+(\S+)\s+\S+\s+(\d+)/.exec(line);
    // A weight of 0 is a real server kube-proxy is draining: it gets no new connections.
    if (real && current && real[1] !== 'RemoteAddress:Port' && real[2] !== '0') current.push(real[1] as string);
  }
  return services;
}

const FLAG: Record<ServiceAddress['protocol'], string> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };

export async function ipvsServiceRules(address: ServiceAddress, run: ToolRunner, timeoutMs: number): Promise<ServiceRulesFact> {
  const vip = hostPort(address.ip, address.port);
  const base = { ...address, mode: 'ipvs' as const, rejects: false };
  const result = await run({ command: 'ipvsadm', args: ['-Ln', FLAG[address.protocol], vip], timeoutMs, maxBytes: 1024 * 1024, okExitCodes: [0, 1] });
  if (!result.ok)
    return { ...base, mode: 'unknown', found: false, backends: [], detail: `unknown, because kube-proxy runs in IPVS mode and ipvsadm could not be run: ${result.reason}` };
  const backends = parseIpvsadm(result.stdout).get(`${address.protocol} ${vip}`);
  return backends ? { ...base, found: true, backends } : { ...base, found: false, backends: [], detail: `IPVS has no virtual service ${vip}/${address.protocol.toLowerCase()}` };
}
