import { type CniDetection, detectCni } from './lib/cni.js';
import { finding } from './lib/finding.js';
import { assessKernel, explainsOnBadNodes, kernelFinding, timeoutsThrough, type NodeJudgement } from './lib/kernel.js';
import type { Check } from './types.js';
import type { Facts, Finding, NodeKernelFacts } from '../model/index.js';

const STRICT = 1;

/**
 * Interfaces other than the pod network's where pod traffic may arrive asymmetrically: up, not
 * loopback, and not the device the node routes the other nodes' pod CIDRs through (a packet from
 * a remote pod arriving there has its return route elsewhere, which strict mode drops).
 */
function secondaryInterfaces(kernel: NodeKernelFacts, node: string, facts: Facts): string[] {
  const remoteCidrs = new Set(facts.nodes.filter((n) => n.name !== node).flatMap((n) => n.podCIDRs));
  const podRouteDevices = new Set(kernel.routes.filter((r) => remoteCidrs.has(r.destination) && r.device).map((r) => r.device as string));
  if (podRouteDevices.size === 0) return [];
  return kernel.interfaces.filter((i) => (i.kind === 'primary' || i.kind === 'other') && i.name !== 'lo' && i.up !== false && !podRouteDevices.has(i.name)).map((i) => i.name);
}

/** The kernel uses the higher of conf/all and conf/<iface> (2 = loose, 1 = strict). */
function judge(facts: Facts) {
  return (kernel: NodeKernelFacts, node: string): NodeJudgement => {
    const cniInterfaces = kernel.interfaces.filter((i) => i.kind === 'cni' || i.kind === 'pod').map((i) => i.name);
    const secondary = secondaryInterfaces(kernel, node, facts);
    const candidates = [...cniInterfaces, ...secondary];
    if (candidates.length === 0) return { state: 'ok', evidence: `no CNI or secondary interfaces on ${node}` };
    if (kernel.rpFilter.all === null) {
      return { state: 'unknown', reason: kernel.unknown['rpFilter.all'] ?? `unknown, because net.ipv4.conf.all.rp_filter on ${node} was not read` };
    }
    const all = kernel.rpFilter.all;
    const read = candidates.filter((name) => kernel.rpFilter.interfaces[name] !== undefined);
    const strict = read.filter((name) => Math.max(kernel.rpFilter.interfaces[name] as number, all) === STRICT);
    if (strict.length) {
      const confirmed = timeoutsThrough(facts, node).length > 0;
      const onSecondary = strict.filter((n) => secondary.includes(n));
      return {
        state: 'problem',
        severity: confirmed ? 'fail' : 'warn',
        evidence:
          `sysctl net.ipv4.conf.all.rp_filter = ${all}; ${strict.map((n) => `net.ipv4.conf.${n}.rp_filter = ${kernel.rpFilter.interfaces[n]}`).join(', ')} on ${node} → strict` +
          (onSecondary.length
            ? ` (${onSecondary.join(', ')}: pod traffic arriving there has its return route via ${[...new Set(kernel.routes.filter((r) => r.device && !onSecondary.includes(r.device) && facts.nodes.some((n) => n.podCIDRs.includes(r.destination))).map((r) => r.device))].join(', ') || 'another interface'})`
            : ''),
      };
    }
    if (read.length === 0) {
      const first = candidates[0] as string;
      return { state: 'unknown', reason: kernel.unknown[`rpFilter.interfaces.${first}`] ?? `unknown, because rp_filter of ${candidates.join(', ')} on ${node} was not read` };
    }
    return { state: 'ok', evidence: `net.ipv4.conf.all.rp_filter = ${all}; ${read.join(', ')} not strict on ${node}` };
  };
}

const assess = (facts: Facts) => assessKernel(facts, judge(facts));

/** Calico sets strict RPF on its workload interfaces on purpose (anti-spoofing) and rejects loose mode. */
function strictByDesign(cni: CniDetection | null): boolean {
  return cni?.kind === 'calico' || cni?.kind === 'canal';
}

function remediationFor(node: string, cni: CniDetection | null): string {
  if (cni?.kind === 'cilium') {
    // Cilium's documented fix: systemd ≥ 245 ships rp_filter=1 defaults that break its lxc* datapath.
    return (
      `# on ${node}\nsysctl -w net.ipv4.conf.all.rp_filter=0\n` +
      `printf 'net.ipv4.conf.lxc*.rp_filter = 0\\nnet.ipv4.conf.all.rp_filter = 0\\n' | tee /etc/sysctl.d/99-zzz-override_cilium.conf`
    );
  }
  return (
    `# on ${node}: loose mode (2) keeps spoofing protection without breaking asymmetric paths\n` +
    `sysctl -w net.ipv4.conf.all.rp_filter=2\necho 'net.ipv4.conf.all.rp_filter = 2' | tee -a /etc/sysctl.d/99-kubernetes.conf`
  );
}

const check: Check = {
  code: 'rp-filter-strict',
  title: 'Strict reverse-path filtering on an interface pod traffic crosses',
  passTitle: 'Reverse-path filtering lets pod traffic through',
  layer: 'kernel',
  docs: 'https://docs.kernel.org/networking/ip-sysctl.html',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'conntrack-unreplied'],
  explainsFinding: (_cause: Finding, symptom: Finding, facts: Facts) => !strictByDesign(detectCni(facts.systemDaemonSets)) && explainsOnBadNodes(facts, symptom, assess(facts)),
  run(facts: Facts): Finding[] {
    const cni = detectCni(facts.systemDaemonSets);
    if (strictByDesign(cni)) {
      return [
        finding(check, {
          status: 'pass',
          detail: `${cni?.name} sets strict reverse-path filtering on its workload interfaces itself (anti-spoofing); rp_filter 0 or 1 is what it expects.`,
        }),
      ];
    }
    return [
      kernelFinding(check, facts, assess(facts), {
        problem(nodes) {
          return {
            detail:
              `Strict rp_filter (1) on interfaces of ${nodes.map((n) => n.node).join(', ')} that pod traffic crosses: packets arriving on an interface other than the one the ` +
              `return route uses (asymmetric routing: overlays, multiple NICs, policy routing${cni?.kind === 'cilium' ? ", Cilium's lxc datapath" : ''}) are dropped silently and show up as timeouts.`,
            remediation: nodes.map((n) => remediationFor(n.node, cni)).join('\n'),
          };
        },
        pass: 'No CNI interface uses strict rp_filter on the nodes with agent facts.',
      }),
    ];
  },
};

export default check;
