import { finding, skipped } from './lib/finding.js';
import { nodeSubject, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import type { Facts, Finding, TransferProbeFact } from '../model/index.js';

// A TCP handshake is three small packets; an MTU black hole (a hop with a smaller MTU that
// drops, or whose ICMP "fragmentation needed" is dropped) lets it through and stalls every
// response larger than the path MTU. Only moving real bytes shows it: the agents pull a bulk
// body from each other between the probe source's node and the endpoints' nodes.

function line(t: TransferProbeFact): string {
  const how = t.outcome === 'complete' ? `${t.bytes} bytes in ${t.ms} ms` : `${t.outcome} after ${t.received} of ${t.bytes} bytes (${t.ms} ms)${t.detail ? `: ${t.detail}` : ''}`;
  return `transfer ${t.to} → ${t.from}: ${how}`;
}

function mtus(facts: Facts, node: string): string {
  const kernel = facts.nodeAgents.find((a) => a.node === node)?.facts;
  const primary = kernel?.interfaces.find((i) => i.kind === 'primary');
  const pod = kernel?.interfaces.filter((i) => i.kind === 'pod' || i.kind === 'cni').map((i) => i.mtu);
  return primary ? `${node}: ${primary.name} mtu ${primary.mtu}${pod?.length ? `, pod side mtu ${Math.max(...pod)}` : ''}` : `${node}: interface MTUs unknown`;
}

const check: Check = {
  code: 'path-mtu-blackhole',
  title: 'Large transfers stall between nodes (MTU black hole)',
  passTitle: 'Transfers larger than the MTU get through between the nodes of the path',
  layer: 'dataplane',
  docs: 'https://www.rfc-editor.org/rfc/rfc2923#section-2.1',
  appliesTo: ['svc', 'dns'],
  run(facts: Facts): Finding[] {
    if (!facts.probes.enabled) return [skipped(check, `probes were not run: ${facts.probes.skipReason ?? 'probing disabled'}`)];
    const transfers = facts.probes.transfers ?? [];
    const ran = transfers.filter((t) => t.outcome !== 'skipped');
    if (ran.length === 0) {
      const why = transfers.find((t) => t.detail)?.detail;
      return [
        skipped(check, `unknown, because no transfer between nodes ran${why ? `: ${why}` : ' (the source and the endpoints share one node, or no agent token is configured)'}`),
      ];
    }
    const stalled = ran.filter((t) => t.outcome === 'stalled');
    const failed = ran.filter((t) => t.outcome === 'error' || t.outcome === 'refused');
    if (stalled.length === 0) {
      if (failed.length === ran.length) return [skipped(check, `unknown, because the transfers could not run: ${failed.map(line).join('; ')}`)];
      return [finding(check, { status: 'pass', detail: `${ran.length - failed.length} transfer(s) of ${ran[0]?.bytes} bytes between nodes completed.`, evidence: ran.map(line) })];
    }
    const nodes = [...new Set(stalled.flatMap((t) => [t.to, t.from]))];
    const lead = stalled[0] as TransferProbeFact;
    return [
      finding(check, {
        status: 'fail',
        title: `Transfers from ${lead.to} to ${lead.from} stall: MTU black hole`,
        detail:
          `A ${lead.bytes}-byte transfer from ${lead.to} to ${lead.from} stalled after ${lead.received} bytes although connections open: packets larger than the ` +
          `path MTU are dropped and the ICMP "fragmentation needed" replies do not come back (a PMTU black hole). Small requests work; large responses, uploads and TLS handshakes hang.`,
        evidence: [...stalled.map(line), ...ran.filter((t) => t.outcome === 'complete').map(line), ...nodes.map((n) => mtus(facts, n))],
        remediation: [
          `# find the path MTU from ${lead.from}: the largest size that passes with DF set`,
          `tracepath -n <InternalIP of ${lead.to}>   # or: ping -M do -s 1372 <InternalIP of ${lead.to}>`,
          '# then lower the pod/CNI MTU to it (CNI configuration, e.g. Calico veth_mtu, Flannel/Cilium mtu) and let ICMP type 3 code 4 through every firewall on the path',
        ].join('\n'),
        subjects: uniqueSubjects(nodes.map(nodeSubject)),
      }),
    ];
  },
};

export default check;
