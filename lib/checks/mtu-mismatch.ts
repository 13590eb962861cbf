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
  // A routed CNI (no overlay device) sends pod packets out of the uplink as they are: the pods'
  // MTU (their veths, or the bridge they hang on) must not exceed the uplink's.
  if (overlays.length === 0 && primary) {
    const podSide = kernel.interfaces.filter((i) => i.kind === 'pod' || (i.kind === 'cni' && i.up !== false));
    const widest = podSide.reduce<(typeof podSide)[number] | undefined>((w, i) => (!w || i.mtu > w.mtu ? i : w), undefined);
    if (widest) overlays.push(`${widest.name} ${widest.mtu} (routed, no encapsulation)`);
    if (widest && widest.mtu > primary.mtu) {
      found.push({ overlay: widest.name, overlayMtu: widest.mtu, encapsulation: 'no encapsulation (routed)', overhead: 0, primary: primary.name, primaryMtu: primary.mtu });
    }
  }
  return { primary, found, overlays };
}

function judge(kernel: NodeKernelFacts, node: string): NodeJudgement {
  const { primary, found, overlays } = mismatches(kernel);
  if (overlays.length === 0) return { state: 'ok', evidence: `no overlay or pod interface on ${node}` };
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
  title: 'Pod or overlay MTU too large for the node network',
  passTitle: 'Pod and overlay MTUs fit the node network',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/concepts/extend-kubernetes/compute-storage-net/network-plugins/',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['path-mtu-blackhole'],
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
              `Pod packets on ${nodes.map((n) => n.node).join(', ')} are bigger than the node network carries: ` +
              fixes.map((f) => `${f.overlay} ${f.overlayMtu} + ${f.overhead} (${f.encapsulation}) > ${f.primary} ${f.primaryMtu}`).join('; ') +
              '. Small requests work, large responses and TLS handshakes stall or are dropped.',
            remediation: fixes
              .map(
                (f) =>
                  `# ${f.node}: set the CNI MTU to ${f.primaryMtu - f.overhead} (${f.primary} ${f.primaryMtu} − ${f.overhead}) in its configuration, then restart its pods; for a quick test: ip link set ${f.overlay} mtu ${f.primaryMtu - f.overhead}`,
              )
              .join('\n'),
          };
        },
        pass: 'Pod and overlay interfaces fit the uplink MTU (with encapsulation overhead) on every node with agent facts.',
      }),
    ];
  },
};

export default check;
