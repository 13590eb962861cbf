import { assessKernel, kernelFinding, type NodeJudgement } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding, NodeKernelFacts } from '../model/index.js';

/** Encapsulation overhead per overlay device, IPv4 outer header (the common case). */
const OVERLAYS: { pattern: RegExp; encapsulation: string; overhead: number }[] = [
  { pattern: /^flannel\.\d+$/, encapsulation: 'VXLAN', overhead: 50 },
  { pattern: /^vxlan[.-]/, encapsulation: 'VXLAN', overhead: 50 },
  { pattern: /^cilium_vxlan$/, encapsulation: 'VXLAN', overhead: 50 },
  { pattern: /^(cilium_geneve|genev_sys_\d+)$/, encapsulation: 'Geneve', overhead: 50 },
  { pattern: /^tunl0$/, encapsulation: 'IP-in-IP', overhead: 20 },
  { pattern: /^(flannel-wg|cilium_wg0|wireguard\.cali)$/, encapsulation: 'WireGuard', overhead: 60 },
  { pattern: /^weave$/, encapsulation: 'VXLAN (Weave fastdp)', overhead: 50 },
];

interface Mismatch {
  overlay: string;
  overlayMtu: number;
  encapsulation: string;
  overhead: number;
  primary: string;
  primaryMtu: number;
}

function mismatches(kernel: NodeKernelFacts): { primary?: { name: string; mtu: number }; found: Mismatch[]; overlays: string[] } {
  const primary = kernel.interfaces.find((i) => i.kind === 'primary');
  const found: Mismatch[] = [];
  const overlays: string[] = [];
  for (const iface of kernel.interfaces) {
    const overlay = OVERLAYS.find((o) => o.pattern.test(iface.name));
    if (!overlay) continue;
    overlays.push(`${iface.name} ${iface.mtu}`);
    if (primary && iface.mtu + overlay.overhead > primary.mtu) {
      found.push({ overlay: iface.name, overlayMtu: iface.mtu, ...overlay, primary: primary.name, primaryMtu: primary.mtu });
    }
  }
  return { primary, found, overlays };
}

function judge(kernel: NodeKernelFacts, node: string): NodeJudgement {
  const { primary, found, overlays } = mismatches(kernel);
  if (overlays.length === 0) return { state: 'ok', evidence: `no overlay interface on ${node}` };
  if (!primary) return { state: 'unknown', reason: kernel.unknown['interfaces'] ?? `unknown, because the primary interface of ${node} (default route device) was not identified` };
  if (found.length === 0) return { state: 'ok', evidence: `${overlays.join(', ')} fit within ${primary.name} ${primary.mtu} on ${node}` };
  return {
    state: 'problem',
    severity: 'warn',
    evidence: found
      .map((m) => `ip link on ${node}: ${m.overlay} mtu ${m.overlayMtu} + ${m.overhead} bytes ${m.encapsulation} = ${m.overlayMtu + m.overhead} > ${m.primary} mtu ${m.primaryMtu}`)
      .join('; '),
  };
}

const assess = (facts: Facts) => assessKernel(facts, judge);

const check: Check = {
  code: 'mtu-mismatch',
  title: 'Overlay MTU too large for the node network',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  run(facts: Facts): Finding[] {
    return [
      kernelFinding(check, facts, assess(facts), {
        problem(nodes) {
          const fixes = nodes.flatMap((n) => {
            const kernel = facts.nodeAgents.find((a) => a.node === n.node)?.facts;
            return kernel ? mismatches(kernel).found.map((m) => ({ node: n.node, ...m })) : [];
          });
          return {
            detail:
              `Overlay packets on ${nodes.map((n) => n.node).join(', ')} are bigger than the node network carries: ` +
              fixes.map((f) => `${f.overlay} ${f.overlayMtu} + ${f.overhead} (${f.encapsulation}) > ${f.primary} ${f.primaryMtu}`).join('; ') +
              '. Small requests work, large responses and TLS handshakes stall or are dropped.',
            remediation: fixes
              .map((f) => `# ${f.node}: set the CNI MTU to ${f.primaryMtu - f.overhead} (${f.primary} ${f.primaryMtu} − ${f.overhead}) in its configuration, then restart its pods; for a quick test: ip link set ${f.overlay} mtu ${f.primaryMtu - f.overhead}`)
              .join('\n'),
          };
        },
        pass: 'Overlay interfaces leave room for their encapsulation overhead on every node with agent facts.',
      }),
    ];
  },
};

export default check;
