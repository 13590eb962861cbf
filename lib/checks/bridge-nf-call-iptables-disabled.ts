import { detectCni, kubeProxyReplacedByCilium } from './lib/cni.js';
import { finding } from './lib/finding.js';
import { assessKernel, explainsOnBadNodes, kernelFinding, unknownFact } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding } from '../model/index.js';

function assess(facts: Facts) {
  return assessKernel(facts, (kernel, node) => {
    if (kernel.bridgeNetfilterLoaded === false) {
      return { state: 'problem', evidence: `ls /proc/sys/net/bridge on ${node}: No such file or directory (br_netfilter not loaded)` };
    }
    if (kernel.bridgeNetfilterLoaded === null) return unknownFact(kernel, 'bridgeNetfilterLoaded', node);
    if (kernel.bridgeNfCallIptables === null) return unknownFact(kernel, 'bridgeNfCallIptables', node);
    return kernel.bridgeNfCallIptables
      ? { state: 'ok', evidence: `sysctl net.bridge.bridge-nf-call-iptables = 1 on ${node}` }
      : { state: 'problem', evidence: `sysctl net.bridge.bridge-nf-call-iptables = 0 on ${node}` };
  });
}

/** Why bridged traffic does not matter here, or null when pods sit on a Linux bridge (Flannel, Canal, Weave, kubenet). */
function bridgeNotUsed(facts: Facts): string | null {
  if (kubeProxyReplacedByCilium(facts)) return 'Not needed: Cilium replaces kube-proxy and load-balances Services in eBPF, without iptables on the bridge path.';
  const cni = detectCni(facts.systemDaemonSets);
  if (cni?.kind === 'cilium' || cni?.kind === 'calico') {
    return `Not needed: ${cni.name} connects pods with routed veth pairs, not a Linux bridge, so every pod packet already passes iptables.`;
  }
  return null;
}

const check: Check = {
  code: 'bridge-nf-call-iptables-disabled',
  title: 'Bridged traffic bypasses iptables on a node',
  passTitle: 'Bridged pod traffic passes through iptables',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/#network-plugin-requirements',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['clusterip-timeout'],
  explainsFinding: (_cause: Finding, symptom: Finding, facts: Facts) => bridgeNotUsed(facts) === null && explainsOnBadNodes(facts, symptom, assess(facts)),
  run(facts: Facts): Finding[] {
    const notUsed = bridgeNotUsed(facts);
    if (notUsed) return [finding(check, { status: 'pass', detail: notUsed })];
    return [
      kernelFinding(check, facts, assess(facts), {
        problem(nodes, onPath) {
          const names = nodes
            .map((n) => {
              const loaded = facts.nodeAgents.find((a) => a.node === n.node)?.facts?.bridgeNetfilterLoaded;
              return `${n.node} (${loaded === false ? 'br_netfilter not loaded' : 'net.bridge.bridge-nf-call-iptables = 0'})`;
            })
            .join(', ');
          return {
            detail:
              `Bridged pod traffic skips iptables on ${names}: ` +
              (onPath
                ? 'a pod reaching a ClusterIP whose endpoint is on the same node gets the reply straight from the pod IP, which it does not expect — same-node ClusterIP connections time out.'
                : 'same-node ClusterIP connections there time out.'),
            remediation: nodes
              .map(
                (n) =>
                  `# on ${n.node}\nmodprobe br_netfilter\nsysctl -w net.bridge.bridge-nf-call-iptables=1\n` +
                  `echo br_netfilter | tee /etc/modules-load.d/k8s.conf\n` +
                  `echo 'net.bridge.bridge-nf-call-iptables = 1' | tee -a /etc/sysctl.d/99-kubernetes.conf`,
              )
              .join('\n'),
          };
        },
        pass: 'br_netfilter is loaded and bridge-nf-call-iptables = 1 on every node with agent facts.',
      }),
    ];
  },
};

export default check;
