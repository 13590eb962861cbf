import { kubeProxyReplacedByCilium } from './lib/cni.js';
import { finding, skipped } from './lib/finding.js';
import { readingsPerAddress } from './lib/kernel.js';
import { backendAddress, podAtBackend, symptomNodes } from './lib/subjects.js';
import { nodeSubject, podSubject, serviceSubject, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import { isKubeProxyPod, ObjectCache, type Facts, type Finding, type ServiceRulesFact, type Subject } from '../model/index.js';
import { nodesInScope, serviceAddressesOnPath, serviceAddressText, type PathServiceAddress } from '../scope/path.js';

// What kube-proxy actually programmed on the nodes of the path, against what the EndpointSlices
// say: a ClusterIP still DNATed to a pod IP the slices no longer list (sync lag, or a stuck
// kube-proxy whose pod still reads Ready), endpoints never programmed, a REJECT although
// endpoints are ready, or no rule at all. The DNAT happens on the client's node, so a fault
// there fails; elsewhere it only warns (clients on that node are affected, this one is not).

type NodeProblem = { node: string; address: PathServiceAddress; rules: ServiceRulesFact; stale: string[]; missing: string[]; line: string };

function describeBackends(backends: string[]): string {
  return backends.length ? backends.join(', ') : 'none';
}

/** What this node's kube-proxy should program: every ready endpoint, or with internalTrafficPolicy Local only the node's own. */
function expectedOn(node: string, address: PathServiceAddress): string[] {
  return address.service.internalTrafficPolicy === 'Local' ? [...(address.expectedBackendsByNode[node] ?? [])].sort() : address.expectedBackends;
}

function compare(node: string, address: PathServiceAddress, rules: ServiceRulesFact): NodeProblem | null {
  const expectedBackends = expectedOn(node, address);
  const programmed = new Set(rules.backends);
  const expected = new Set(expectedBackends);
  const stale = rules.backends.filter((b) => !expected.has(b));
  const missing = expectedBackends.filter((b) => !programmed.has(b));
  const where = `kube-proxy on ${node} (${rules.mode} mode)`;
  const current = `current: ${describeBackends(expectedBackends)}`;
  let line: string | null = null;
  if (!rules.found && expected.size > 0) line = `${where} has no rule for ${serviceAddressText(address)} (${current})`;
  else if (rules.rejects && expected.size > 0)
    line = `${where} rejects ${serviceAddressText(address)} as having no endpoints, although the EndpointSlices list ${describeBackends(expectedBackends)}`;
  else if (stale.length) line = `${where} sends ${serviceAddressText(address)} to ${stale.join(', ')}, which no EndpointSlice lists (${current})`;
  else if (missing.length)
    line = `${where} sends ${serviceAddressText(address)} to ${describeBackends(rules.backends)} only: ${missing.join(', ')} not programmed yet (${current})`;
  return line ? { node, address, rules, stale, missing, line } : null;
}

interface Assessment {
  problems: NodeProblem[];
  /** Nodes and addresses whose rules match the slices, with the evidence line. */
  ok: { node: string; line: string }[];
  unknown: string[];
  sourceNode?: string;
}

function assess(facts: Facts): Assessment | { skip: string } {
  if (kubeProxyReplacedByCilium(facts)) return { skip: 'Not applicable: Cilium replaces kube-proxy (no kube-proxy rules to compare).' };
  const addresses = serviceAddressesOnPath(facts);
  if (addresses.length === 0) return { skip: 'Nothing to compare: the target has no ClusterIP on its path.' };
  if (facts.nodeAgents.length === 0 || facts.nodeAgents.every((a) => a.status === 'not-deployed')) {
    return { skip: 'unknown, because no node agent reported, so the rules kube-proxy programmed were not read' };
  }
  const sourceNode = facts.probes.source?.node;
  const { readings, unknown } = readingsPerAddress(facts, (kernel, address, node) => {
    const rules = kernel.serviceRules?.find((r) => r.ip === address.ip && r.port === address.port && r.protocol === address.protocol);
    if (!rules) return { unknown: `unknown, because the agent on ${node} did not report kube-proxy's rules for ${serviceAddressText(address)}` };
    if (rules.mode === 'unknown') return { unknown: rules.detail ?? `unknown, because kube-proxy's mode on ${node} could not be read` };
    return rules;
  });
  const result: Assessment = { problems: [], ok: [], unknown, ...(sourceNode ? { sourceNode } : {}) };
  for (const { node, address, value: rules } of readings) {
    const problem = compare(node, address, rules);
    if (problem) result.problems.push(problem);
    else result.ok.push({ node, line: `kube-proxy on ${node} sends ${serviceAddressText(address)} to ${describeBackends(rules.backends)} (matches the EndpointSlices)` });
  }
  return result;
}

const memo = new ObjectCache<Facts, ReturnType<typeof assess>>();
const assessed = (facts: Facts) => {
  let result = memo.get(facts);
  if (!result) memo.set(facts, (result = assess(facts)));
  return result;
};

const check: Check = {
  code: 'kube-proxy-rules-stale',
  title: "kube-proxy's rules disagree with the EndpointSlices",
  passTitle: "kube-proxy's rules match the EndpointSlices",
  layer: 'system',
  docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#is-kube-proxy-writing-iptables-rules',
  appliesTo: ['svc', 'dns', 'node'],
  needsPathAgents: true,
  explains: ['clusterip-timeout', 'clusterip-refused', 'conntrack-unreplied', 'dns-service-name-failed', 'cluster-dns-down'],
  // The client's packets are DNATed on its own node: stale rules there explain its symptoms.
  explainsFinding(_cause: Finding, symptom: Finding, facts: Facts): boolean {
    const a = assessed(facts);
    if ('skip' in a) return false;
    const bad = new Set(a.problems.map((p) => p.node));
    const nodes = a.sourceNode ? [a.sourceNode] : [...symptomNodes(symptom, facts), ...nodesInScope(facts).nodes];
    return nodes.some((n) => bad.has(n));
  },
  run(facts: Facts): Finding[] {
    const a = assessed(facts);
    if ('skip' in a) return [skipped(check, a.skip)];
    if (a.problems.length === 0) {
      if (a.ok.length === 0) return [skipped(check, a.unknown.slice(0, 5).join('; ') || 'unknown, because no node reported kube-proxy rules')];
      return [
        finding(check, {
          status: 'pass',
          detail: `kube-proxy's rules match the EndpointSlices on ${[...new Set(a.ok.map((o) => o.node))].join(', ')}.`,
          evidence: [...a.ok.map((o) => o.line), ...a.unknown],
        }),
      ];
    }
    const onSource = a.sourceNode ? a.problems.filter((p) => p.node === a.sourceNode) : a.problems;
    const lead = (onSource[0] ?? a.problems[0]) as NodeProblem;
    const nodes = [...new Set(a.problems.map((p) => p.node))];
    const subjects: Subject[] = [serviceSubject(lead.address.service), ...nodes.map(nodeSubject), { kind: 'ip', name: lead.address.ip }];
    for (const p of a.problems) {
      for (const backend of p.stale) subjects.push({ kind: 'ip', name: backendAddress(backend) });
      for (const backend of p.missing) {
        const pod = podAtBackend(facts, backend);
        if (pod) subjects.push(podSubject(pod));
      }
    }
    const fix = (node: string) => {
      const pod = facts.systemPods.find((p) => isKubeProxyPod(p) && p.nodeName === node);
      return pod
        ? `kubectl -n ${pod.namespace} logs ${pod.name} --tail=50   # look for sync errors\nkubectl -n ${pod.namespace} delete pod ${pod.name}   # its replacement re-syncs every rule`
        : `kubectl -n kube-system get pods -l k8s-app=kube-proxy -o wide --field-selector spec.nodeName=${node}   # then its logs; deleting the pod re-syncs every rule`;
    };
    return [
      finding(check, {
        status: onSource.length ? 'fail' : 'warn',
        title: `kube-proxy on ${nodes.join(', ')} has stale rules for ${lead.address.service.namespace}/${lead.address.service.name}`,
        detail: `${lead.line}.${onSource.length ? '' : ` ${nodes.length === 1 ? 'That node is' : 'Those nodes are'} not the probe source's, so clients there are affected, not this one.`} kube-proxy is not applying EndpointSlice changes there (sync lag, a stuck or crash-looping kube-proxy, or a second proxy writing rules).`,
        evidence: [...a.problems.map((p) => p.line), ...a.ok.map((o) => o.line), ...a.unknown],
        remediation: nodes.map((node) => `# ${node}\n${fix(node)}`).join('\n'),
        subjects: uniqueSubjects(subjects),
      }),
    ];
  },
};

export default check;
