import { finding, passed, skipped, skippedBecause, unworded } from './lib/finding.js';
import {
  formatLabels,
  matchesSelector,
  ObjectCache,
  type Facts,
  type Finding,
  type NetworkPolicyFact,
  type PodFact,
  type Protocol,
  type ServiceFact,
  type Subject,
} from '../model/index.js';
import {
  type ConnectionOutcome,
  type Endpoint,
  effectivePolicyTypes,
  evaluateConnection,
  explainDenial,
  isDenyAll,
  describePeer,
  describePort,
  podEndpoint,
  selectsPod,
} from './lib/netpol.js';
import { unreadable } from './lib/access.js';
import {
  decideConnection,
  hasPolicySystems,
  policiesOf as compiledPolicies,
  policySystemsOf,
  type ConnectionVerdict,
  type DirectionVerdict,
  type PolicyIndex,
} from './lib/policy/evaluate.js';
import { editPolicyFix, policyApisLine, policyApisUnknown, policySubject } from './lib/policy/explain.js';
import { policyContext, policyLabel, ruleLabel, type PodEnd, type PolicyContext } from './lib/policy/types.js';
import { podSubject } from './lib/service.js';
import { sharesPodsElseSubject } from './lib/subjects.js';
import type { Check } from './types.js';
import { backendPods, targetService } from '../scope/path.js';

interface Denial {
  pod: PodFact;
  port: number;
  protocol: Protocol;
  /** What NetworkPolicy alone says (its wording is kept when only NetworkPolicies decide). */
  outcome: ConnectionOutcome;
  verdict: ConnectionVerdict;
}

interface Analysis {
  service: ServiceFact;
  source: Endpoint;
  denials: Denial[];
  allowedLines: string[];
  /** Connections a policy may decide that netcheck cannot judge. */
  unknownLines: string[];
}

function resolveTargetPort(pod: PodFact, targetPort: number | string, protocol: Protocol): number | undefined {
  if (typeof targetPort === 'number') return targetPort;
  return pod.containers.flatMap((c) => c.ports).find((p) => p.name === targetPort && p.protocol === protocol)?.containerPort;
}

function probingSource(facts: Facts): Endpoint | null {
  const source = facts.probes.source;
  if (!source) return null;
  const isPod = source.namespace !== undefined && source.podLabels !== undefined;
  // A source that is neither a pod nor an address (a laptop outside the pod network) speaks for no
  // cluster client: the policies are then judged for the clients inside the cluster instead.
  if (!isPod && !source.ip) return null;
  return {
    namespace: isPod ? source.namespace : undefined,
    labels: isPod ? source.podLabels : undefined,
    serviceAccount: isPod ? source.serviceAccount : undefined,
    ip: source.ip,
    description: isPod
      ? `${source.description} (namespace ${source.namespace}, labels ${formatLabels(source.podLabels ?? {})})`
      : `${source.description}${source.ip ? ` (${source.ip})` : ''}`,
  };
}

/** hostNetwork pods share the node's network namespace, where NetworkPolicies do not apply. */
function policyBoundPods(facts: Facts): PodFact[] {
  return backendPods(facts).filter((p) => !p.hostNetwork);
}

const analyses = new ObjectCache<Facts, Analysis | null>();

/** Memoised per facts object: run() and the denial text both need it. */
function analyse(facts: Facts): Analysis | null {
  // Without a probe source (every Service of a sweep) there is nothing to analyse or remember.
  if (!facts.probes.source) return null;
  if (analyses.has(facts)) return analyses.get(facts) ?? null;
  const service = targetService(facts);
  const source = probingSource(facts);
  let analysis: Analysis | null = null;
  if (service && source) {
    const denials: Denial[] = [];
    const allowedLines: string[] = [];
    const unknownLines: string[] = [];
    const policies = compiledPolicies(facts);
    // Replicas share labels and ports, so ingress outcomes repeat; egress rules may name the
    // destination's IP (ipBlock, nets, CIDR) and their text names the pod, so those are evaluated per pod.
    const egressInPlay = facts.networkPolicies.some((p) => effectivePolicyTypes(p).includes('Egress')) || hasPolicySystems(policies);
    const outcomes = new Map<string, { outcome: ConnectionOutcome; verdict: ConnectionVerdict }>();
    for (const pod of policyBoundPods(facts)) {
      const destination = podEndpoint(pod);
      const shape = egressInPlay ? pod.name : JSON.stringify([pod.labels, destination.containerPorts]);
      for (const servicePort of service.ports) {
        const port = resolveTargetPort(pod, servicePort.targetPort, servicePort.protocol);
        if (port === undefined) continue;
        const key = `${shape}|${port}/${servicePort.protocol}`;
        const connection = { source, destination, port, protocol: servicePort.protocol };
        const judged = outcomes.get(key) ?? {
          // The NetworkPolicy view is kept for its wording; the engine's verdict decides.
          outcome: evaluateConnection(facts.networkPolicies, facts.namespaces, connection),
          verdict: decideConnection(policies, connection),
        };
        outcomes.set(key, judged);
        if (judged.verdict.allowed === false) denials.push({ pod, port, protocol: servicePort.protocol, ...judged });
        else if (judged.verdict.allowed === null)
          unknownLines.push(
            `pod ${pod.namespace}/${pod.name} port ${port}/${servicePort.protocol}: ${[judged.verdict.ingress, judged.verdict.egress].find((v) => v?.allowed === null)?.reason ?? 'unknown'}`,
          );
        else allowedLines.push(describeAllowed(pod, port, servicePort.protocol, judged.outcome, judged.verdict));
      }
    }
    analysis = { service, source, denials, allowedLines, unknownLines };
  }
  analyses.set(facts, analysis);
  return analysis;
}

function describeAllowed(pod: PodFact, port: number, protocol: Protocol, outcome: ConnectionOutcome, verdict: ConnectionVerdict): string {
  const decided = [verdict.ingress, verdict.egress].filter((v) => v && v.stage !== 'none' && v.decidedBy.some((d) => d.policy.system !== 'kubernetes'));
  if (decided.length) return `pod ${pod.namespace}/${pod.name} port ${port}/${protocol}: ${decided.map((v) => v?.reason).join('; ')}`;
  const admittedBy = outcome.ingress?.selecting.filter((p) => p.admits).map((p) => `${p.policy.namespace}/${p.policy.name}`) ?? [];
  const how = admittedBy.length ? `admitted by ${admittedBy.join(', ')}` : 'not selected by any ingress policy';
  return `pod ${pod.namespace}/${pod.name} port ${port}/${protocol}: ${how}`;
}

function allowPolicyYaml(analysis: Analysis, denial: Denial): string {
  const { service, source } = analysis;
  const selector = service.selector && Object.keys(service.selector).length ? service.selector : denial.pod.labels;
  const indent = (labels: Record<string, string>, pad: string) =>
    Object.entries(labels)
      .map(([k, v]) => `${pad}${k}: ${JSON.stringify(v)}`)
      .join('\n');
  const peer =
    source.namespace !== undefined && source.labels !== undefined
      ? [
          '        - namespaceSelector:',
          '            matchLabels:',
          `              kubernetes.io/metadata.name: ${source.namespace}`,
          ...(Object.keys(source.labels).length ? ['          podSelector:', '            matchLabels:', indent(source.labels, '              ')] : []),
        ]
      : source.ip
        ? ['        - ipBlock:', `            cidr: ${source.ip.includes(':') ? `${source.ip}/128` : `${source.ip}/32`}`]
        : [];
  return [
    `kubectl apply -f - <<'EOF'`,
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata:',
    `  name: allow-netcheck-to-${service.name}`,
    `  namespace: ${service.namespace}`,
    'spec:',
    '  podSelector:',
    '    matchLabels:',
    indent(selector, '      '),
    '  policyTypes: [Ingress]',
    '  ingress:',
    ...(peer.length ? ['    - from:', ...peer, '      ports:'] : ['    - ports:']),
    `        - protocol: ${denial.protocol}`,
    `          port: ${denial.port}`,
    'EOF',
  ].join('\n');
}

function egressRemediation(denial: Denial): string {
  const policies = denial.outcome.egress?.selecting.map((p) => `${p.policy.namespace}/${p.policy.name}`) ?? [];
  return (
    `Add an egress rule to ${policies.join(' or ')} allowing ${denial.pod.namespace} pods ${formatLabels(denial.pod.labels)} on ${denial.port}/${denial.protocol}, e.g.\n` +
    `  egress:\n    - to:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: ${denial.pod.namespace}\n` +
    `          podSelector:\n            matchLabels: ${JSON.stringify(denial.pod.labels)}\n      ports:\n        - protocol: ${denial.protocol}\n          port: ${denial.port}`
  );
}

function timedOutProbesTo(facts: Facts, pods: Set<string>): string[] {
  const podIPs = new Set(facts.pods.filter((p) => pods.has(p.name) && p.podIP).map((p) => p.podIP as string));
  return facts.probes.tcp
    .filter((p) => p.outcome === 'timeout' && (p.role === 'clusterIP' || (p.pod !== undefined && pods.has(p.pod)) || podIPs.has(p.ip)))
    .map((p) => `${p.role} ${p.ip}:${p.port} timed out after ${p.ms} ms${p.pod ? ` (pod ${p.pod})` : ''}`);
}

const check: Check = {
  code: 'network-policy-denies',
  title: 'NetworkPolicy blocks traffic to the backend pods',
  passTitle: 'NetworkPolicies admit the traffic',
  layer: 'policy',
  docs: 'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
  appliesTo: ['svc'],
  explains: ['endpoint-timeout', 'clusterip-timeout', 'conntrack-unreplied'],
  // A symptom about pods is explained through the pods the policy drops; one about the Service
  // alone (its ClusterIP) through the Service.
  explainsFinding: (cause: Finding, symptom: Finding) => sharesPodsElseSubject(cause, symptom),
  run(facts: Facts): Finding[] {
    const service = targetService(facts);
    if (!service) return [skipped(check, 'Not applicable: the target Service was not found.')];
    if (service.type === 'ExternalName') return [skipped(check, 'Not applicable: ExternalName services have no backend pods.')];
    const unknown = unreadable(facts, 'networkpolicies') ?? unreadable(facts, 'pods', service.namespace) ?? unreadable(facts, 'namespaces') ?? policyApisUnknown(facts);
    if (unknown) return [skipped(check, unknown)];
    const pods = policyBoundPods(facts);
    if (pods.length === 0) {
      const hostNetwork = backendPods(facts).length > 0;
      return [
        skipped(
          check,
          hostNetwork
            ? `Not applicable: the pods of ${service.namespace}/${service.name} use hostNetwork, where NetworkPolicies do not apply.`
            : `Nothing to evaluate: no pods back ${service.namespace}/${service.name}.`,
        ),
      ];
    }
    const ingressPolicies = facts.networkPolicies.filter((p) => effectivePolicyTypes(p).includes('Ingress') && pods.some((pod) => selectsPod(p, pod.namespace, pod.labels)));
    const analysis = analyse(facts);
    if (!analysis) return [runWithoutSource(facts, service, pods, ingressPolicies)];
    if (analysis.denials.length === 0 && analysis.allowedLines.length === 0) {
      return [skipped(check, `unknown, because no target port of ${service.namespace}/${service.name} resolves to a container port on its pods (see target-port-mismatch).`)];
    }
    if (analysis.denials.length === 0 && analysis.unknownLines.length > 0) {
      return [skipped(check, `${analysis.unknownLines[0]}${analysis.unknownLines.length > 1 ? ` (and ${analysis.unknownLines.length - 1} more)` : ''}`)];
    }
    if (analysis.denials.length === 0) {
      const apis = policyApisLine(facts);
      return [
        passed(check, facts, () => ({
          detail: `${hasPolicySystems(compiledPolicies(facts)) ? 'The network policies' : 'NetworkPolicies'} admit ${analysis.source.description} to every backend pod of ${service.namespace}/${service.name}.`,
          evidence: [...analysis.allowedLines, ...(apis ? [apis] : [])],
        })),
      ];
    }
    const decidedBeyondNetworkPolicy = analysis.denials.some((d) => deniedSides(d).some((v) => v.decidedBy.some((x) => x.policy.system !== 'kubernetes')));
    return [decidedBeyondNetworkPolicy ? systemDenialFinding(facts, analysis) : denialFinding(facts, analysis)];
  },
};

function deniedSides(denial: Denial): DirectionVerdict[] {
  return [denial.verdict.ingress, denial.verdict.egress].filter((v): v is DirectionVerdict => v !== null && v.allowed === false);
}

/**
 * A denial decided by a Calico, Cilium or admin policy (or by NetworkPolicies under their
 * precedence): names the deciding policy, its kind and rule, and edits that policy.
 */
function systemDenialFinding(facts: Facts, analysis: Analysis): Finding {
  const { service, source, denials } = analysis;
  const deciding = new Map<string, ReturnType<typeof policySubject>>();
  const sentences: string[] = [];
  const evidence: string[] = [];
  const fixes: string[] = [];
  const seen = new Set<DirectionVerdict>();
  for (const denial of denials) {
    for (const side of deniedSides(denial)) {
      for (const d of side.decidedBy) {
        const subject = policySubject(d);
        deciding.set(`${subject.policyKind}/${subject.namespace ?? ''}/${subject.name}`, subject);
      }
      // Replicas share one verdict object: explain it once, naming the first pod.
      if (seen.has(side)) continue;
      seen.add(side);
      const sentence = side.direction === 'Ingress' ? `${side.reason} to pod ${denial.pod.name}` : `${side.reason} (egress from the probing source)`;
      if (!sentences.includes(sentence)) sentences.push(sentence);
      for (const line of side.trace) if (!evidence.includes(line)) evidence.push(line);
      const other = side.direction === 'Ingress' ? source : podEndpoint(denial.pod);
      const fix = side.decidedBy.every((x) => x.policy.system === 'kubernetes')
        ? side.direction === 'Ingress'
          ? allowPolicyYaml(analysis, denial)
          : egressRemediation(denial)
        : editPolicyFix(side, other, denial.port, denial.protocol);
      if (fix && !fixes.includes(fix)) fixes.push(fix);
    }
  }
  const refs = [
    ...new Map(
      denials.flatMap((d) => deniedSides(d).flatMap((v) => v.decidedBy.map((x) => [`${x.policy.kind}/${x.policy.namespace ?? ''}/${x.policy.name}`, x] as const))),
    ).values(),
  ];
  for (const d of refs) evidence.push(`kubectl get ${d.policy.resource} ${d.policy.name}${d.policy.namespace ? ` -n ${d.policy.namespace}` : ''} -o yaml`);
  const deniedPods = [...new Map(denials.map((d) => [d.pod.name, d.pod])).values()];
  const timeouts = timedOutProbesTo(facts, new Set(deniedPods.map((p) => p.name)));
  evidence.push(...timeouts);
  const apis = policyApisLine(facts);
  if (apis) evidence.push(apis);
  const lead = refs[0];
  const leadText = lead ? `${policyLabel(lead.policy)}${lead.rule ? ` ${ruleLabel(lead.rule)}` : ''}` : 'A network policy';
  const detail =
    sentences.map((s) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`).join(' ') +
    (timeouts.length ? ` This explains the ${timeouts.length} probe timeout(s): dropped packets look like unanswered SYNs.` : '');
  return finding(check, {
    status: 'fail',
    title: `${leadText} blocks traffic to ${service.name}`,
    detail,
    evidence,
    remediation: fixes.join('\n\n'),
    subjects: [{ kind: 'service', name: service.name, namespace: service.namespace }, ...deciding.values(), ...deniedPods.map(podSubject)],
  });
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  let count = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    count++;
  }
  for (const _ in b) count--;
  return count === 0;
}

const selectionContexts = new WeakMap<Facts['namespaces'], PolicyContext>();

/** What appliesTo reads (the namespaces' labels), one per namespace list: no per-service pod or node index. */
function selectionContext(namespaces: Facts['namespaces']): PolicyContext {
  let ctx = selectionContexts.get(namespaces);
  if (!ctx) selectionContexts.set(namespaces, (ctx = policyContext(namespaces, NO_NODES, NO_PODS)));
  return ctx;
}
const NO_NODES: Facts['nodes'] = [];
const NO_PODS: PodFact[] = [];

/** Per policy index, per namespace list: the policies applying to a namespace's pods of one label set. */
const applyingByShape = new WeakMap<PolicyIndex, WeakMap<Facts['namespaces'], Map<string, [label: string, text: string][]>>>();

/**
 * The Calico, Cilium and admin policies that may apply at ingress to this pod, as (label, text)
 * in the index's order. Which ones apply depends only on the pod's namespace, labels and service account and on the
 * namespaces' labels, so a sweep's services whose pods look alike share one answer rather than
 * each building the policy context and weighing every candidate again.
 */
function policiesApplyingTo(facts: Facts, index: PolicyIndex, pod: PodFact): [label: string, text: string][] {
  let byNamespaces = applyingByShape.get(index);
  if (!byNamespaces) applyingByShape.set(index, (byNamespaces = new WeakMap()));
  let byShape = byNamespaces.get(facts.namespaces);
  if (!byShape) byNamespaces.set(facts.namespaces, (byShape = new Map()));
  let shape = `${pod.namespace}\u0000${pod.serviceAccountName ?? ''}`;
  for (const k in pod.labels) shape += `\u0000${k}\u0001${pod.labels[k] as string}`;
  let found = byShape.get(shape);
  if (!found) {
    const ctx = selectionContext(facts.namespaces);
    // What appliesTo and the index read of a pod: its namespace, labels and service account (the
    // description only if a message needs it), not the container ports and label text podEndpoint also builds.
    const end: PodEnd = {
      namespace: pod.namespace,
      labels: pod.labels,
      serviceAccount: pod.serviceAccountName,
      get description() {
        return podEndpoint(pod).description;
      },
    };
    found = [];
    for (const policy of index.candidates(end)) {
      if (policy.appliesTo(end, 'Ingress', ctx) !== false) found.push([policyLabel(policy.ref), `${policyLabel(policy.ref)}${policy.placement ? ` (${policy.placement})` : ''}`]);
    }
    byShape.set(shape, found);
  }
  return found;
}

/**
 * Without a client to speak for, Calico, Cilium and admin policies that select the backend pods
 * cannot be judged (their rules name clients, ordered deny and pass included): say which ones
 * apply, never pass. Replicas share labels, so a few distinct label sets stand for the pods.
 */
function beyondNetworkPolicy(facts: Facts, pods: PodFact[]): Finding | null {
  const systems = policySystemsOf(facts);
  if (!hasPolicySystems(systems)) return null;
  const shapes: PodFact[] = [];
  for (const pod of pods) {
    if (!shapes.some((kept) => sameLabels(kept.labels, pod.labels))) shapes.push(pod);
    if (shapes.length === 3) break;
  }
  const applying = new Map<string, string>();
  for (const pod of shapes) for (const [label, text] of policiesApplyingTo(facts, systems.beyond, pod)) applying.set(label, text);
  if (applying.size === 0) return null;
  const list = [...applying.values()];
  return skipped(
    check,
    `unknown for a given client, because the probes ran from ${facts.probes.source?.description ?? 'outside the cluster'}, which is no cluster client, and ${list.slice(0, 5).join(', ')}${list.length > 5 ? ` and ${list.length - 5} more` : ''} ${list.length === 1 ? 'applies' : 'apply'} to these pods. Use --from <client> to check one.`,
  );
}

function runWithoutSource(facts: Facts, service: ServiceFact, pods: PodFact[], ingressPolicies: Facts['networkPolicies']): Finding {
  const byNetworkPolicies = networkPoliciesWithoutSource(facts, service, pods, ingressPolicies);
  // Weighing the other systems' policies only ever turns this into "unknown". A sweep keeps
  // problems only, so for a NetworkPolicy answer that is none it would change nothing it reports:
  // most of a sweep's policy work, spared (the pass it did not weigh becomes a skip).
  if (facts.keeps === 'problems') {
    if (byNetworkPolicies.status === 'skip') return byNetworkPolicies;
    if (byNetworkPolicies.status === 'pass') return unworded(check, 'skip');
  }
  return beyondNetworkPolicy(facts, pods) ?? byNetworkPolicies;
}

/** What the namespace's NetworkPolicies alone say of the backend pods, for the clients inside the cluster. */
function networkPoliciesWithoutSource(facts: Facts, service: ServiceFact, pods: PodFact[], ingressPolicies: Facts['networkPolicies']): Finding {
  if (ingressPolicies.length === 0) {
    return passed(check, facts, () => ({ detail: `No ingress NetworkPolicy selects the pods of ${service.namespace}/${service.name}: they accept traffic from anywhere.` }));
  }
  // Isolated: selected by at least one ingress policy, and every one that selects it admits nothing.
  const isolatedPods = pods.filter((pod) => {
    let selected = false;
    for (const policy of ingressPolicies) {
      if (!selectsPod(policy, pod.namespace, pod.labels)) continue;
      if (!isDenyAll(policy, 'Ingress')) return false;
      selected = true;
    }
    return selected;
  });
  if (isolatedPods.length === 0) return clusterClientsFinding(facts, service, ingressPolicies);
  const policyNames = ingressPolicies.filter((p) => isolatedPods.some((pod) => selectsPod(p, pod.namespace, pod.labels)));
  return finding(check, {
    status: 'fail',
    detail: `NetworkPolicy ${policyNames.map((p) => `${p.namespace}/${p.name}`).join(', ')} selects ${isolatedPods.map((p) => p.name).join(', ')} and admits no ingress traffic at all: every connection to ${service.namespace}/${service.name} is dropped.`,
    evidence: policyNames.map((p) => `kubectl -n ${p.namespace} get networkpolicy ${p.name} -o yaml: policyTypes ${effectivePolicyTypes(p).join(',')}, ingress: []`),
    remediation: `Add a NetworkPolicy in ${service.namespace} that admits the clients of ${service.name} (podSelector ${formatLabels(service.selector ?? {})}, ingress from the client namespaces/pods on the service's target ports).`,
    subjects: subjectsFor(service, policyNames, isolatedPods),
  });
}

interface DeadPeer {
  policy: NetworkPolicyFact;
  peer: string;
}

/**
 * Without a client to speak for, what the policies admit inside the cluster: which peers on which
 * ports, and any allow whose namespaceSelector matches no namespace, or whose podSelector (in the
 * policy's own namespace, the only one whose pods we list) matches no pod — a typo that admits
 * nobody. Never a suggestion to admit everything.
 */
function clusterClientsFinding(facts: Facts, service: ServiceFact, ingressPolicies: NetworkPolicyFact[]): Finding {
  const dead: DeadPeer[] = [];
  for (const policy of ingressPolicies) {
    for (const rule of policy.ingress) {
      for (const peer of rule.peers ?? []) {
        if (peer.ipBlock) continue;
        const { namespaceSelector, podSelector } = peer;
        const matchesNothing = namespaceSelector
          ? facts.namespaces.length > 0 && !facts.namespaces.some((n) => matchesSelector(namespaceSelector, n.labels))
          : !!podSelector && !facts.pods.some((p) => p.namespace === policy.namespace && matchesSelector(podSelector, p.labels));
        if (matchesNothing) dead.push({ policy, peer: describePeer(peer, policy.namespace) });
      }
    }
  }
  const scope = () =>
    `the probes ran from ${facts.probes.source?.description ?? 'outside the cluster'}, which is no cluster client, so the policies were judged for the clients inside the cluster`;
  if (dead.length) {
    const first = dead[0] as DeadPeer;
    return finding(check, {
      status: 'warn',
      title: `NetworkPolicy ${first.policy.name} admits a peer that matches nothing`,
      detail: `NetworkPolicy ${first.policy.namespace}/${first.policy.name} selects the pods of ${service.namespace}/${service.name} and admits ${first.peer}, which matches ${first.peer.includes('namespaces') ? 'no namespace' : `no pod in ${first.policy.namespace}`}: the clients it was meant for are dropped (${scope()}).`,
      evidence: [
        ...dead.map((d) => `${d.policy.namespace}/${d.policy.name}: ${d.peer} matches nothing`),
        ...admittedLines(ingressPolicies),
        ...ingressPolicies.map((p) => `kubectl -n ${p.namespace} get networkpolicy ${p.name} -o yaml`),
      ],
      remediation: `kubectl -n ${first.policy.namespace} edit networkpolicy ${first.policy.name}   # fix the selector of "${first.peer}" to the labels the client pods or namespaces really carry (kubectl get pods,ns --show-labels)`,
      subjects: subjectsFor(service, [...new Set(dead.map((d) => d.policy))], []),
    });
  }
  return skippedBecause(check, facts, () => {
    const admitted = admittedLines(ingressPolicies);
    return `unknown for a given client, because ${scope()}; they admit: ${admitted.slice(0, 5).join('; ')}${admitted.length > 5 ? `; and ${admitted.length - 5} more` : ''}. Use --from <client> to check one.`;
  });
}

/** What each ingress rule admits, in words: "shop/allow-web: pods app=web on 8080/TCP". */
function admittedLines(ingressPolicies: NetworkPolicyFact[]): string[] {
  const admitted: string[] = [];
  for (const policy of ingressPolicies) {
    for (const rule of policy.ingress) {
      const ports = rule.ports?.length ? rule.ports.map(describePort).join(', ') : 'all ports';
      if (!rule.peers?.length) admitted.push(`${policy.namespace}/${policy.name}: every source on ${ports}`);
      else for (const peer of rule.peers) admitted.push(`${policy.namespace}/${policy.name}: ${describePeer(peer, policy.namespace)} on ${ports}`);
    }
  }
  return admitted;
}

function subjectsFor(service: ServiceFact, policies: Facts['networkPolicies'], pods: PodFact[]): Subject[] {
  return [
    { kind: 'service', name: service.name, namespace: service.namespace },
    ...policies.map((p): Subject => ({ kind: 'networkpolicy', name: p.name, namespace: p.namespace, policyKind: 'NetworkPolicy' })),
    ...pods.map(podSubject),
  ];
}

function denialFinding(facts: Facts, analysis: Analysis): Finding {
  const { service, source, denials } = analysis;
  const ingressDenials = denials.filter((d) => d.outcome.ingress && !d.outcome.ingress.allowed);
  const egressDenials = denials.filter((d) => d.outcome.egress && !d.outcome.egress.allowed);
  const policies = new Map<string, Facts['networkPolicies'][number]>();
  for (const d of denials) {
    for (const outcome of [d.outcome.ingress, d.outcome.egress]) {
      if (outcome && !outcome.allowed) for (const p of outcome.selecting) policies.set(`${p.policy.namespace}/${p.policy.name}`, p.policy);
    }
  }
  const deniedPods = [...new Map(denials.map((d) => [d.pod.name, d.pod])).values()];
  const backendCount = policyBoundPods(facts).length;
  const allPods = deniedPods.length === backendCount;
  const ports = [...new Set(denials.map((d) => `${d.port}/${d.protocol}`))].join(', ');
  const podsText = allPods
    ? `all backend pods of ${service.namespace}/${service.name}`
    : `${deniedPods.map((p) => p.name).join(', ')} (${deniedPods.length} of ${backendCount} backend pods of ${service.namespace}/${service.name})`;
  const policyNames = (outcomes: (Denial['outcome']['ingress'] | undefined)[]) => [
    ...new Set(outcomes.flatMap((o) => o?.selecting.map((p) => `${p.policy.namespace}/${p.policy.name}`) ?? [])),
  ];
  const sides: string[] = [];
  if (ingressDenials.length) {
    const names = policyNames(ingressDenials.map((d) => d.outcome.ingress));
    sides.push(`NetworkPolicy ${names.join(', ')} ${names.length === 1 ? 'selects' : 'select'} ${podsText} and no rule admits ${source.description} on ${ports}`);
  }
  if (egressDenials.length) {
    const names = policyNames(egressDenials.map((d) => d.outcome.egress));
    sides.push(
      `egress NetworkPolicy ${names.join(', ')} ${names.length === 1 ? 'selects' : 'select'} the probing source ${source.description} and no rule lets it reach ${podsText} on ${ports}`,
    );
  }
  const timeouts = timedOutProbesTo(facts, new Set(deniedPods.map((p) => p.name)));
  const sentence = sides.join('; ');
  const detail =
    `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.` +
    (timeouts.length ? ` This explains the ${timeouts.length} probe timeout(s): dropped packets look like unanswered SYNs.` : '');
  const evidence: string[] = [];
  const seen = new Set<string>();
  const explained = new Set<object>();
  for (const d of denials) {
    for (const outcome of [d.outcome.ingress, d.outcome.egress]) {
      // Replicas share one outcome object: explain it once, naming the first pod.
      if (!outcome || outcome.allowed || explained.has(outcome)) continue;
      explained.add(outcome);
      for (const line of explainDenial(outcome)) {
        const text = `${outcome.direction} to pod ${d.pod.name} port ${d.port}/${d.protocol}: ${line}`;
        if (!seen.has(line)) evidence.push(text);
        seen.add(line);
      }
    }
  }
  evidence.push(...[...policies.values()].map((p) => `kubectl -n ${p.namespace} get networkpolicy ${p.name} -o yaml`));
  evidence.push(...timeouts);
  const first = ingressDenials[0];
  const remediation = [...(first ? [allowPolicyYaml(analysis, first)] : []), ...(egressDenials[0] ? [egressRemediation(egressDenials[0])] : [])].join('\n\n');
  return finding(check, {
    status: 'fail',
    title: `NetworkPolicy ${[...policies.values()].map((p) => p.name).join(', ')} blocks traffic to ${service.name}`,
    detail,
    evidence,
    remediation,
    subjects: subjectsFor(service, [...policies.values()], deniedPods),
  });
}

export default check;
