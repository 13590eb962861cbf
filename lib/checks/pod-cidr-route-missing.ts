import { isIPv4 } from 'node:net';
import { detectCni } from './lib/cni.js';
import { skipped } from './lib/finding.js';
import { ipInCidr, type Facts, type Finding, type NodeKernelFacts } from '../model/index.js';
import { symptomNodes } from './lib/subjects.js';
import { assessKernel, kernelFinding, type NodeJudgement } from './lib/kernel.js';
import type { Check } from './types.js';

function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** A route covers a CIDR when it is at least as wide and contains its network address; a default route does not count. */
function routeCovers(routeDestination: string, cidr: string): boolean {
  const routePrefix = prefixOf(routeDestination);
  const network = cidr.split('/')[0] ?? '';
  return routePrefix > 0 && routePrefix <= prefixOf(cidr) && ipInCidr(network, routeDestination);
}

function missingRoutes(facts: Facts, kernel: NodeKernelFacts, node: string): { peer: string; cidr: string }[] {
  return facts.nodes
    .filter((n) => n.name !== node)
    .flatMap((peer) =>
      peer.podCIDRs
        .filter((cidr) => isIPv4(cidr.split('/')[0] ?? ''))
        .filter((cidr) => !kernel.routes.some((r) => routeCovers(r.destination, cidr)))
        .map((cidr) => ({ peer: peer.name, cidr })),
    );
}

function assess(facts: Facts) {
  return assessKernel(facts, (kernel, node): NodeJudgement => {
    if (kernel.routes.length === 0) return { state: 'unknown', reason: kernel.unknown['routes'] ?? `unknown, because no routes were read on ${node}` };
    const missing = missingRoutes(facts, kernel, node);
    if (missing.length === 0) return { state: 'ok', evidence: `ip route on ${node}: routes to every other node's pod CIDR` };
    return { state: 'problem', evidence: `ip route on ${node}: no route to ${missing.map((m) => `${m.cidr} (${m.peer})`).join(', ')}` };
  });
}

const check: Check = {
  code: 'pod-cidr-route-missing',
  title: "No route to another node's pod CIDR",
  passTitle: 'Routes to every pod CIDR exist',
  layer: 'kernel',
  docs: 'https://kubernetes.io/docs/concepts/cluster-administration/networking/',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'conntrack-unreplied', 'dns-service-name-failed', 'cluster-dns-down', 'externalname-unresolvable'],
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const involved = new Set<string>();
    for (const a of assess(facts).onPath) {
      involved.add(a.node);
      const kernel = facts.nodeAgents.find((x) => x.node === a.node)?.facts;
      if (kernel) for (const m of missingRoutes(facts, kernel, a.node)) involved.add(m.peer);
    }
    return [...symptomNodes(symptom, facts)].some((n) => involved.has(n));
  },
  run(facts: Facts): Finding[] {
    const cni = detectCni(facts.systemDaemonSets);
    if (!cni) return [skipped(check, "unknown, because the CNI was not recognised: whether nodes route each other's pod CIDRs depends on it")];
    if (!cni.routesNodePodCidrs) {
      return [skipped(check, `Not applicable: ${cni.name} does not install one route per node's spec.podCIDR, so missing routes cannot be judged from them.`)];
    }
    if (!facts.nodes.some((n) => n.podCIDRs.length > 0)) return [skipped(check, 'unknown, because no node has spec.podCIDR set')];
    const assessment = assess(facts);
    return [
      kernelFinding(check, facts, assessment, {
        problem(nodes) {
          return {
            detail: `${nodes.map((n) => (n.state === 'problem' ? n.evidence.replace(/^ip route on /, '') : n.node)).join('; ')}: ${cni.name} has not programmed these routes, so traffic between those nodes' pods is lost.`,
            remediation: nodes
              .map(
                (n) =>
                  `# ${n.node}: ${cni.name} writes these routes; check its pod there\nkubectl get pods -A -o wide --field-selector spec.nodeName=${n.node} | grep -iE 'flannel|canal'\n# then read its logs (kubectl logs <pod> --all-containers) for lease/subnet errors`,
              )
              .join('\n'),
          };
        },
        pass: `Every node with agent facts routes the other nodes' pod CIDRs (${cni.name}).`,
      }),
    ];
  },
};

export default check;
