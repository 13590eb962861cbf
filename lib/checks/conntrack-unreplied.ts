import { finding, skipped } from './lib/finding.js';
import { readingsPerAddress } from './lib/kernel.js';
import { nodeSubject, podSubject, serviceSubject, uniqueSubjects } from './lib/service.js';
import { backendAddress, podAtBackend } from './lib/subjects.js';
import type { Check } from './types.js';
import { plural, type ConntrackEntriesFact, type Facts, type Finding, type Subject } from '../model/index.js';
import { serviceAddressesOnPath, serviceAddressText } from '../scope/path.js';

// The seed article's "SYN, no ACK" without a packet capture: connection-tracking entries to the
// target's ClusterIP that the far end never answered. They say on which node the connections
// were made and where kube-proxy sent them, which ties a timeout to a node and a backend; the
// cause (a node dropping them) is for the kernel, netfilter and policy checks to name.

interface Stuck {
  node: string;
  entries: ConntrackEntriesFact;
}

/**
 * A UDP DNS address this node resolved through in this very run: its unreplied entries are
 * lookups still in flight when the agent read conntrack (the probes and the agents' reads run
 * at once), or history — not a path that drops.
 */
function resolvesNowFrom(facts: Facts, node: string, entries: ConntrackEntriesFact): boolean {
  if (!facts.probes.enabled || entries.protocol !== 'UDP') return false;
  const server = `${entries.ip}:${entries.port}`;
  const sourceNode = facts.probes.source?.node;
  return facts.probes.dns.some(
    (p) =>
      p.server === server &&
      (p.outcome === 'resolved' || p.outcome === 'nxdomain') &&
      (p.purpose === 'node-resolve' ? p.node === node : p.purpose !== 'dns-endpoint' && sourceNode === node),
  );
}

function stuckEntries(facts: Facts): { stuck: Stuck[]; clean: string[]; unknown: string[] } {
  const { readings, unknown } = readingsPerAddress(
    facts,
    (kernel, address, node) =>
      kernel.conntrackEntries?.find((e) => e.ip === address.ip && e.port === address.port && e.protocol === address.protocol) ?? {
        unknown: kernel.unknown['conntrack'] ?? `unknown, because the agent on ${node} did not report conntrack entries for ${serviceAddressText(address)}`,
      },
  );
  const answered = (r: (typeof readings)[number]) => r.value.unreplied === 0 || resolvesNowFrom(facts, r.node, r.value);
  const stuck = readings.filter((r) => !answered(r)).map((r) => ({ node: r.node, entries: r.value }));
  const clean = readings
    .filter(answered)
    .map((r) =>
      r.value.unreplied === 0
        ? `${r.node}: ${plural(r.value.total, 'conntrack entry', 'conntrack entries')} to ${serviceAddressText(r.address)}, none unreplied`
        : `${r.node}: ${r.value.unreplied} of ${r.value.total} entries to ${serviceAddressText(r.address)} unreplied, but ${r.node} resolved through it during this run (lookups in flight, or history)`,
    );
  return { stuck, clean, unknown };
}

function backendLine(facts: Facts, backend: string, count: number): string {
  const ip = backendAddress(backend);
  const pod = podAtBackend(facts, backend);
  const listed =
    facts.endpointSlices.some((s) => s.endpoints.some((e) => e.addresses.includes(ip))) || facts.dns?.endpointSlices.some((s) => s.endpoints.some((e) => e.addresses.includes(ip)));
  const who = pod ? ` (pod ${pod.namespace}/${pod.name}${pod.nodeName ? ` on ${pod.nodeName}` : ''})` : listed ? '' : ', which no EndpointSlice lists';
  return `${count} to ${backend}${who}`;
}

const check: Check = {
  code: 'conntrack-unreplied',
  title: 'Connections to the Service stay unreplied in conntrack',
  passTitle: 'Connections to the Service are answered (conntrack)',
  layer: 'dataplane',
  docs: 'https://conntrack-tools.netfilter.org/manual.html',
  appliesTo: ['svc', 'dns'],
  explains: ['clusterip-timeout'],
  run(facts: Facts): Finding[] {
    if (serviceAddressesOnPath(facts).length === 0) return [skipped(check, 'Nothing to look up: the target has no ClusterIP on its path.')];
    if (facts.nodeAgents.length === 0 || facts.nodeAgents.every((a) => a.status === 'not-deployed')) {
      return [skipped(check, 'unknown, because no node agent reported, so conntrack was not read')];
    }
    const { stuck, clean, unknown } = stuckEntries(facts);
    if (stuck.length === 0) {
      if (clean.length === 0) return [skipped(check, unknown.slice(0, 5).join('; ') || 'unknown, because no node reported conntrack entries')];
      return [
        finding(check, { status: 'pass', detail: 'No connection to the Service is stuck unreplied in conntrack on the nodes of the path.', evidence: [...clean, ...unknown] }),
      ];
    }
    const lines = stuck.map(({ node, entries }) => {
      const to = Object.entries(entries.unrepliedTo)
        .sort((a, b) => b[1] - a[1])
        .map(([backend, count]) => backendLine(facts, backend, count));
      return `${node}: ${entries.unreplied} of ${entries.total} connections to ${serviceAddressText(entries)} unreplied in conntrack${to.length ? `, DNATed ${to.join(', ')}` : ''}`;
    });
    const service = serviceAddressesOnPath(facts)[0]?.service;
    const subjects: Subject[] = [...(service ? [serviceSubject(service)] : []), ...stuck.map((s) => nodeSubject(s.node))];
    for (const { entries } of stuck) {
      subjects.push({ kind: 'ip', name: entries.ip });
      for (const backend of Object.keys(entries.unrepliedTo)) {
        const pod = podAtBackend(facts, backend);
        subjects.push(pod ? podSubject(pod) : { kind: 'ip', name: backendAddress(backend) });
      }
    }
    const clusterIpProbes = facts.probes.enabled ? facts.probes.tcp.filter((p) => p.role === 'clusterIP' && p.outcome !== 'skipped') : [];
    if (clusterIpProbes.length > 0 && clusterIpProbes.every((p) => p.outcome === 'connected')) {
      // Unreplied entries linger for minutes (SYN_SENT times out after 120 s): with the ClusterIP
      // answering now, they are the trace of an earlier outage, not a present one.
      return [finding(check, { status: 'pass', detail: 'The ClusterIP answers now; unreplied conntrack entries left from earlier attempts are history.', evidence: lines })];
    }
    const timedOut = clusterIpProbes.some((p) => p.outcome === 'timeout');
    return [
      finding(check, {
        status: timedOut ? 'fail' : 'warn',
        title: `${stuck.reduce((n, s) => n + s.entries.unreplied, 0)} connections to the Service unreplied on ${stuck.map((s) => s.node).join(', ')}`,
        detail: `${lines[0]}: SYNs leave, no reply comes back. Something between ${stuck[0]?.node} and the backend drops the packets (node forwarding, netfilter, routes, a NetworkPolicy) or the backend is gone.`,
        evidence: [...lines, ...stuck.flatMap((s) => s.entries.samples.slice(0, 3).map((line) => `${s.node}: ${line}`)), ...unknown],
        remediation: stuck
          .map((s) => `# on ${s.node}\nconntrack -L -p ${s.entries.protocol.toLowerCase()} -d ${s.entries.ip} --dport ${s.entries.port}\nnetcheck node ${s.node}`)
          .join('\n'),
        subjects: uniqueSubjects(subjects),
      }),
    ];
  },
};

export default check;
