import { assessKernel, explainsOnBadNodes, kernelFinding, unknownFact } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding } from '../model/index.js';

function assess(facts: Facts) {
  return assessKernel(facts, (kernel, node) => {
    if (kernel.ipForward === null) return unknownFact(kernel, 'ipForward', node);
    return kernel.ipForward ? { state: 'ok', evidence: `sysctl net.ipv4.ip_forward = 1 on ${node}` } : { state: 'problem', evidence: `sysctl net.ipv4.ip_forward = 0 on ${node}` };
  });
}

const check: Check = {
  code: 'ip-forward-disabled',
  title: 'IP forwarding is disabled on a node',
  passTitle: 'IP forwarding is on',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/setup/production-environment/container-runtimes/#prerequisite-ipv4-forwarding-optional',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'conntrack-unreplied', 'dns-service-name-failed', 'cluster-dns-down', 'externalname-unresolvable'],
  explainsFinding: (_cause: Finding, symptom: Finding, facts: Facts) => explainsOnBadNodes(facts, symptom, assess(facts)),
  run(facts: Facts): Finding[] {
    return [
      kernelFinding(check, facts, assess(facts), {
        problem(nodes, onPath) {
          const names = nodes.map((n) => n.node).join(', ');
          return {
            detail: onPath
              ? `IP forwarding is off on ${names}: the kernel drops packets routed to pods there, so connections to its pods time out (SYN sent, no SYN-ACK).`
              : `IP forwarding is off on ${names}: pods on ${nodes.length === 1 ? 'it' : 'them'} are unreachable from other nodes.`,
            remediation: nodes
              .map(
                (n) =>
                  `# on ${n.node} (e.g. kubectl debug node/${n.node} -it --image=busybox:1.36 -- chroot /host sh)\n` +
                  `sysctl -w net.ipv4.ip_forward=1\n` +
                  `echo 'net.ipv4.ip_forward = 1' | tee -a /etc/sysctl.d/99-kubernetes.conf`,
              )
              .join('\n'),
          };
        },
        pass: 'IP forwarding is on for every node with agent facts.',
      }),
    ];
  },
};

export default check;
