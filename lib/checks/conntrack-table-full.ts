import { assessKernel, explainsOnBadNodes, kernelFinding, unknownFact } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding } from '../model/index.js';

const WARN_RATIO = 0.9;

function assess(facts: Facts) {
  return assessKernel(facts, (kernel, node) => {
    const table = kernel.conntrack;
    if (table === null) return unknownFact(kernel, 'conntrack', node);
    if (table.max <= 0) return { state: 'unknown', reason: `unknown, because nf_conntrack_max reads ${table.max} on ${node}` };
    const percent = Math.round((table.count / table.max) * 100);
    const evidence = `sysctl net.netfilter.nf_conntrack_count = ${table.count}, nf_conntrack_max = ${table.max} on ${node} (${percent} %)`;
    if (table.count >= table.max) return { state: 'problem', severity: 'fail', evidence };
    if (table.count >= table.max * WARN_RATIO) return { state: 'problem', severity: 'warn', evidence };
    return { state: 'ok', evidence };
  });
}

const check: Check = {
  code: 'conntrack-table-full',
  title: 'Connection-tracking table is (nearly) full',
  passTitle: 'Connection-tracking table has room',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout'],
  // Only a full table drops connections; a nearly full one explains nothing yet.
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const assessment = assess(facts);
    const full = assessment.onPath.filter((a) => a.state === 'problem' && a.severity === 'fail');
    return explainsOnBadNodes(facts, symptom, { ...assessment, onPath: full });
  },
  run(facts: Facts): Finding[] {
    const assessment = assess(facts);
    return [
      kernelFinding(check, facts, assessment, {
        problem(nodes) {
          const full = nodes.filter((n) => n.state === 'problem' && n.severity === 'fail').map((n) => n.node);
          const near = nodes.filter((n) => n.state === 'problem' && n.severity === 'warn').map((n) => n.node);
          const parts = [
            ...(full.length
              ? [`The conntrack table is full on ${full.join(', ')}: new connections are dropped ("nf_conntrack: table full, dropping packet" in dmesg) and time out`]
              : []),
            ...(near.length ? [`${full.length ? 'the' : 'The'} conntrack table is above ${WARN_RATIO * 100} % on ${near.join(', ')}: close to dropping new connections`] : []),
          ];
          return {
            detail: `${parts.join('; ')}.`,
            remediation: nodes
              .map((n) => {
                const max = facts.nodeAgents.find((a) => a.node === n.node)?.facts?.conntrack?.max ?? 131072;
                return (
                  `# on ${n.node}: who holds the entries?\nconntrack -L -o extended 2>/dev/null | awk '{print $3, $7}' | sort | uniq -c | sort -rn | head\n` +
                  `sysctl -w net.netfilter.nf_conntrack_max=${max * 2}\n` +
                  `echo 'net.netfilter.nf_conntrack_max = ${max * 2}' | tee -a /etc/sysctl.d/99-kubernetes.conf   # kube-proxy: set conntrack.maxPerCore in its config instead, or it resets the value`
                );
              })
              .join('\n'),
          };
        },
        pass: `The conntrack table is below ${WARN_RATIO * 100} % on every node with agent facts.`,
      }),
    ];
  },
};

export default check;
