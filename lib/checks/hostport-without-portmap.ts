import { unreadable } from './lib/access.js';
import { kubeProxyReplacedByCilium } from './lib/cni.js';
import { finding, skipped } from './lib/finding.js';
import { agentReading } from './lib/kernel.js';
import { nodeSubject, podSubject, servicePods, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import { isTerminalPod, type CniConfigFileFact, type Facts, type Finding, type PodFact, type Subject } from '../model/index.js';

// A hostPort is only a field in the pod spec: the kubelet hands it to the container runtime,
// which passes it (runtimeConfig.portMappings) only to the plugins of the active CNI network
// that declare `capabilities: {portMappings: true}` — the portmap plugin in nearly every chain.
// Without one the pod starts, the field reads fine, and nothing listens on node:hostPort.
// Cilium is the exception we know: its eBPF kube-proxy replacement (Cilium ≥ 1.8) maps
// hostPorts itself from the pod spec, without the runtime's help.

interface HostPortUse {
  pod: PodFact;
  container: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

type NodeResult =
  | { state: 'ok'; evidence: string }
  | { state: 'unknown'; reason: string }
  | { state: 'problem'; severity: 'fail' | 'warn'; evidence: string; file: string; dir: string; cilium: boolean; shadowed?: string };

function hostPortUses(pods: PodFact[]): HostPortUse[] {
  return pods
    .filter((pod) => !pod.hostNetwork && !isTerminalPod(pod) && pod.nodeName)
    .flatMap((pod) =>
      pod.containers.flatMap((c) =>
        c.ports
          .filter((p) => p.hostPort !== undefined)
          .map((p) => ({ pod, container: c.name, hostPort: p.hostPort as number, containerPort: p.containerPort, protocol: p.protocol })),
      ),
    );
}

/** The pods to look at: the Service's backends, or every pod on the target node. */
function podsInScope(facts: Facts): PodFact[] | { skip: string } {
  if (facts.target.kind === 'node') {
    const node = facts.target.name;
    // No pods read is not "no hostPort pods".
    const denied = unreadable(facts, 'pods');
    if (denied) return { skip: denied };
    return facts.pods.filter((p) => p.nodeName === node);
  }
  const selected = servicePods(facts);
  return 'skip' in selected ? selected : selected.pods;
}

function describeChain(file: CniConfigFileFact): string {
  return `${file.file}${file.name ? ` (network ${file.name})` : ''}: plugins ${file.plugins.map((p) => (p.portMappings ? `${p.type} [portMappings]` : p.type)).join(' → ')}`;
}

function judgeNode(facts: Facts, node: string): NodeResult {
  const reading = agentReading(facts, node);
  if (!reading.known) return { state: 'unknown', reason: reading.reason };
  const cni = reading.facts.cniConfig;
  if (!cni) return { state: 'unknown', reason: `unknown, because the agent on ${node} does not report its CNI configuration (an agent older than the reader)` };
  if (cni.unknown) return { state: 'unknown', reason: `${cni.unknown} on ${node}` };
  const [active, ...ignored] = cni.files;
  if (!active) return { state: 'unknown', reason: `unknown, because ${cni.dir} on ${node} holds no CNI configuration file (.conf, .conflist, .json)` };
  if (active.unknown) return { state: 'unknown', reason: `${active.unknown} (${cni.dir} on ${node}, the file the runtime loads first)` };
  const chain = `${node}: ${cni.dir}/${describeChain(active)}`;
  if (active.plugins.some((p) => p.portMappings)) return { state: 'ok', evidence: chain };
  const cilium = active.plugins.some((p) => p.type === 'cilium-cni');
  if (cilium && kubeProxyReplacedByCilium(facts)) {
    return { state: 'ok', evidence: `${chain}; Cilium replaces kube-proxy here and maps hostPorts in eBPF itself` };
  }
  // Cilium beside kube-proxy may still run its hostPort feature (older "partial" replacement): a warning, not a verdict.
  // A stale file sorting first hides the CNI's own chain: the fix is to move it, not to edit it.
  const shadowed = ignored.find((f) => !f.unknown && f.plugins.some((p) => p.portMappings))?.file;
  return {
    state: 'problem',
    severity: cilium ? 'warn' : 'fail',
    evidence: `${chain} — none declares capabilities.portMappings${shadowed ? `; ${shadowed}, which has portmap, sorts after it and is ignored` : ''}`,
    file: active.file,
    dir: cni.dir,
    cilium,
    ...(shadowed ? { shadowed } : {}),
  };
}

function nodeFix(node: string, result: Extract<NodeResult, { state: 'problem' }>): string {
  if (result.shadowed)
    return `# on ${node}: ${result.file} sorts before ${result.shadowed} (which has portmap) — move the stale file out of the directory\nmv ${result.dir}/${result.file} /root/`;
  if (result.cilium) {
    return `# ${node}: turn on Cilium's own hostPort support (kubeProxyReplacement=true), or chain portmap\nhelm upgrade cilium cilium/cilium -n kube-system --reuse-values --set cni.chainingMode=portmap`;
  }
  return (
    `# on ${node}: append {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true} to "plugins" in ${result.dir}/${result.file}` +
    " (through the CNI's installer settings, which rewrite the file; a single-plugin .conf becomes a .conflist), with the portmap binary in /opt/cni/bin"
  );
}

function remediation(problems: { node: string; result: Extract<NodeResult, { state: 'problem' }>; uses: HostPortUse[] }[]): string {
  const pods = [...new Set(problems.flatMap((p) => p.uses.map((u) => `kubectl -n ${u.pod.namespace} delete pod ${u.pod.name}`)))];
  return [...new Set(problems.map((p) => nodeFix(p.node, p.result))), '# then recreate the pods: the chain runs only when a pod sandbox is created', ...pods].join('\n');
}

const check: Check = {
  code: 'hostport-without-portmap',
  title: 'hostPort with no CNI plugin to map it',
  passTitle: "hostPorts are mapped by the node's CNI chain",
  layer: 'kernel',
  docs: 'https://www.cni.dev/plugins/current/meta/portmap/',
  appliesTo: ['svc', 'node'],
  // Node agents' answers (uplink interface, CNI config): a sweep's per-service views hold none.
  needsPathAgents: true,
  run(facts: Facts): Finding[] {
    const scope = podsInScope(facts);
    if ('skip' in scope) return [skipped(check, scope.skip)];
    const uses = hostPortUses(scope);
    if (uses.length === 0) return [skipped(check, 'Not applicable: no pod in scope declares a hostPort (outside hostNetwork).')];
    const byNode = new Map<string, HostPortUse[]>();
    for (const use of uses) byNode.set(use.pod.nodeName as string, [...(byNode.get(use.pod.nodeName as string) ?? []), use]);

    const problems: { node: string; result: Extract<NodeResult, { state: 'problem' }>; uses: HostPortUse[] }[] = [];
    const unknown: string[] = [];
    const ok: string[] = [];
    for (const [node, onNode] of [...byNode].sort(([a], [b]) => a.localeCompare(b))) {
      const result = judgeNode(facts, node);
      if (result.state === 'problem') problems.push({ node, result, uses: onNode });
      else if (result.state === 'unknown') unknown.push(result.reason);
      else ok.push(result.evidence);
    }
    const describeUse = (u: HostPortUse) =>
      `pod ${u.pod.namespace}/${u.pod.name} container ${u.container}: hostPort ${u.hostPort} → containerPort ${u.containerPort}/${u.protocol}`;
    const unknownNote = unknown.length ? ` Also ${unknown.join('; ')}.` : '';

    if (problems.length > 0) {
      const subjects: Subject[] = uniqueSubjects(problems.flatMap(({ node, uses: onNode }) => [...onNode.map((u) => podSubject(u.pod)), nodeSubject(node)]));
      const sentences = problems.map(({ node, result, uses: onNode }) => {
        const ports = [...new Set(onNode.map((u) => u.hostPort))].join(', ');
        const podNames = [...new Set(onNode.map((u) => `${u.pod.namespace}/${u.pod.name}`))];
        const who = `${podNames.length === 1 ? 'Pod' : 'Pods'} ${podNames.join(', ')} on ${node} ${podNames.length === 1 ? 'asks' : 'ask'} for hostPort ${ports}`;
        return result.cilium
          ? `${who}, but the active CNI config ${result.dir}/${result.file} is Cilium's without portmap and kube-proxy still runs: unless Cilium's own hostPort support is on, nothing answers on ${node} port ${ports}.`
          : `${who}, but the active CNI config ${result.dir}/${result.file} (the first file, the one the runtime loads) has no plugin with capabilities.portMappings (portmap): the runtime never maps it, so connections to ${node} port ${ports} are refused or time out while the pod looks healthy.`;
      });
      return [
        finding(check, {
          status: problems.some((p) => p.result.severity === 'fail') ? 'fail' : 'warn',
          detail: `${sentences.join(' ')}${unknownNote}`,
          evidence: [...problems.flatMap(({ result, uses: onNode }) => [result.evidence, ...onNode.map(describeUse)]), ...unknown],
          remediation: remediation(problems),
          subjects,
        }),
      ];
    }
    if (unknown.length > 0) return [skipped(check, unknown.join('; '))];
    return [
      finding(check, {
        status: 'pass',
        detail: `Every node with a hostPort pod in scope maps hostPorts (${byNode.size} node${byNode.size === 1 ? '' : 's'}).`,
        evidence: [...ok, ...uses.map(describeUse)],
      }),
    ];
  },
};

export default check;
