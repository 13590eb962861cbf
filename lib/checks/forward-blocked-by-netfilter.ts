import { assessKernel, explainsOnBadNodes, kernelFinding, timeoutsThrough, type NodeJudgement } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding, NetfilterFacts } from '../model/index.js';

// Forwarded pod traffic dropped by netfilter itself: a filter FORWARD policy of DROP (left by a
// hardening script or a container engine) or a DROP/REJECT rule that belongs to neither
// kube-proxy nor the CNI. A DROP policy is common and harmless when the CNI accepts pod traffic
// before it (Flannel's `-s <cluster CIDR> -j ACCEPT`), and a foreign rule may match other traffic
// than ours, so on their own they are warnings; timeouts through that node make them failures.

function describe(netfilter: NetfilterFacts, node: string): string[] {
  const lines: string[] = [];
  for (const chain of netfilter.forwardDropChains) lines.push(`${node}: ${chain} policy DROP (forwarded packets no rule accepts are dropped)`);
  for (const rule of netfilter.foreignDrops) lines.push(`${node}: ${rule.table} ${rule.chain}${rule.hook ? ` (${rule.hook} hook)` : ''}: ${rule.text}`);
  return lines;
}

function judge(facts: Facts) {
  return (kernel: { netfilter?: NetfilterFacts | null; unknown: Record<string, string> }, node: string): NodeJudgement => {
    const netfilter = kernel.netfilter;
    if (netfilter === undefined) return { state: 'unknown', reason: `unknown, because the agent on ${node} does not report netfilter (an older agent version)` };
    if (netfilter === null) return { state: 'unknown', reason: kernel.unknown['netfilter'] ?? `unknown, because netfilter on ${node} could not be read` };
    const lines = describe(netfilter, node);
    if (lines.length === 0) return { state: 'ok', evidence: `${node}: forward policy ACCEPT, no foreign DROP/REJECT rules on the forward path (${netfilter.sources.join(', ')})` };
    const confirmed = timeoutsThrough(facts, node);
    const evidence = confirmed.length ? [...lines, `${node}: ${confirmed.length} probe(s) through this node timed out`].join('; ') : lines.join('; ');
    return { state: 'problem', severity: confirmed.length ? 'fail' : 'warn', evidence };
  };
}

const assess = (facts: Facts) => assessKernel(facts, judge(facts));

const check: Check = {
  code: 'forward-blocked-by-netfilter',
  title: 'Netfilter drops forwarded pod traffic on a node',
  passTitle: 'Netfilter forwards pod traffic on the nodes of the path',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/concepts/cluster-administration/networking/',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'conntrack-unreplied', 'dns-service-name-failed', 'cluster-dns-down', 'externalname-unresolvable'],
  explainsFinding: (_cause: Finding, symptom: Finding, facts: Facts) => explainsOnBadNodes(facts, symptom, assess(facts)),
  run(facts: Facts): Finding[] {
    return [
      kernelFinding(check, facts, assess(facts), {
        problem(nodes, onPath) {
          const names = nodes.map((n) => n.node).join(', ');
          const readings = nodes.map((n) => facts.nodeAgents.find((a) => a.node === n.node)?.facts?.netfilter).filter((n): n is NetfilterFacts => !!n);
          const dropChains = [...new Set(readings.flatMap((n) => n.forwardDropChains))];
          const foreign = readings.flatMap((n) => n.foreignDrops);
          const what = [
            dropChains.length ? `the policy of ${dropChains.join(', ')} is DROP` : '',
            foreign.length
              ? `${foreign.length === 1 ? 'a DROP/REJECT rule' : `${foreign.length} DROP/REJECT rules`} outside kube-proxy's and the CNI's chains (${foreign[0]?.chain}: ${foreign[0]?.text})`
              : '',
          ]
            .filter(Boolean)
            .join(' and ');
          return {
            detail: onPath
              ? `Netfilter on ${names} drops forwarded pod traffic: ${what}, so connections through ${nodes.length === 1 ? 'that node' : 'those nodes'} time out (SYN sent, no SYN-ACK).`
              : `Netfilter on ${names} would drop forwarded pod traffic: ${what}.`,
            remediation: nodes
              .map((n) => {
                const netfilter = facts.nodeAgents.find((a) => a.node === n.node)?.facts?.netfilter;
                const fixes = [
                  ...(netfilter?.forwardDropChains.length
                    ? ['iptables -P FORWARD ACCEPT   # or accept the pod CIDR before the policy: iptables -I FORWARD -s <cluster CIDR> -j ACCEPT; -d <cluster CIDR> -j ACCEPT']
                    : []),
                  ...(netfilter?.foreignDrops ?? []).map((r) => `# remove or narrow the rule in ${r.table} ${r.chain}: ${r.text}`),
                ];
                return [`# on ${n.node} (find what installs it: a hardening script, firewalld, a container engine)`, ...fixes].join('\n');
              })
              .join('\n'),
          };
        },
        pass: 'No node of the path drops forwarded traffic in netfilter.',
      }),
    ];
  },
};

export default check;
