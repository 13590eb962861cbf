import { unreadable } from './lib/access.js';
import { finding, skipped } from './lib/finding.js';
import { agentReading } from './lib/kernel.js';
import { namespaceLabels } from './lib/netpol.js';
import { hostEndpointsOf, judgeHostFlow, type HostFlow, type HostFlowEnd, type HostFlowVerdict, type HostPolicyContext } from './lib/policy/host-endpoints.js';
import { nodeSubject, podSubject, portSubject, servicePods, uniqueSubjects } from './lib/service.js';
import type { Check } from './types.js';
import type { CalicoHostEndpointFact, Facts, Finding, NodeFact, PodFact, ServiceFact, ServicePortFact, Subject } from '../model/index.js';

// A Calico HostEndpoint makes a node's interface a policed endpoint: the hostNetwork pods behind
// a Service, a hostNetwork client, and (through applyOnForward or pre-DNAT policy) NodePort and
// pod traffic forwarded through the node meet policies that select the host endpoint, and with
// none, Calico's default deny for the host. The flows are judged by lib/checks/lib/policy/host-endpoints.ts.

/** NodePort traffic may enter at any node: beyond this many the report names the first ones. */
const MAX_NODEPORT_NODES = 20;

interface JudgedFlow {
  flow: HostFlow;
  verdict: HostFlowVerdict;
  servicePort: ServicePortFact;
  /** What the flow is, for a person: "NodePort 30080 on node-2 → shop/web-1:8080". */
  label: string;
  pods: PodFact[];
}

function targetPortOf(port: ServicePortFact, pod: PodFact): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  for (const c of pod.containers) for (const p of c.ports) if (p.name === port.targetPort && p.protocol === port.protocol) return p.containerPort;
  return undefined;
}

function podEnd(pod: PodFact): HostFlowEnd {
  return {
    ...(pod.podIP ? { ip: pod.podIP } : {}),
    labels: { ...pod.labels, 'projectcalico.org/namespace': pod.namespace, 'projectcalico.org/orchestrator': 'k8s' },
    namespace: pod.namespace,
    description: `pod ${pod.namespace}/${pod.name}`,
  };
}

function hostEnd(node: NodeFact, hep: CalicoHostEndpointFact): HostFlowEnd {
  return { ...(node.internalIP ? { ip: node.internalIP } : {}), labels: hep.labels, description: `host ${node.name}` };
}

/** The client netcheck knows of: the probe source (a pod, or the CLI's machine), else nobody in particular. */
function client(facts: Facts): { end: HostFlowEnd; node?: string; hostNetwork: boolean } {
  const source = facts.probes.source;
  if (!source) return { end: { description: 'a client netcheck cannot place' }, hostNetwork: false };
  const pod = source.pod ? [...facts.pods, ...facts.systemPods].find((p) => p.namespace === source.pod?.namespace && p.name === source.pod?.name) : undefined;
  const ip = source.ip ?? source.pod?.ip;
  const end: HostFlowEnd = {
    ...(ip ? { ip } : {}),
    ...(source.podLabels && source.namespace && !pod?.hostNetwork
      ? { labels: { ...source.podLabels, 'projectcalico.org/namespace': source.namespace, 'projectcalico.org/orchestrator': 'k8s' }, namespace: source.namespace }
      : {}),
    description: source.description,
  };
  return { end, ...(source.node ? { node: source.node } : {}), hostNetwork: pod?.hostNetwork === true };
}

function primaryInterface(facts: Facts, node: string): string | undefined {
  const reading = agentReading(facts, node);
  return reading.known ? reading.facts.interfaces.find((i) => i.kind === 'primary')?.name : undefined;
}

function flowsOf(facts: Facts, svc: ServiceFact, backends: PodFact[], unknown: string[]): Omit<JudgedFlow, 'verdict'>[] {
  const systems = facts.policySystems!;
  const nodes = new Map(facts.nodes.map((n) => [n.name, n]));
  const covering = new Map<string, CalicoHostEndpointFact[]>();
  const heps = (name: string): CalicoHostEndpointFact[] => {
    let found = covering.get(name);
    if (found) return found;
    const node = nodes.get(name);
    if (!node) {
      unknown.push(`unknown, because node ${name} is not among the nodes read, so its HostEndpoints cannot be matched`);
      covering.set(name, []);
      return [];
    }
    const result = hostEndpointsOf(systems, node, primaryInterface(facts, name));
    unknown.push(...result.unknown.map((u) => u.reason));
    covering.set(name, (found = result.covering));
    return found;
  };
  const from = client(facts);
  const flows: Omit<JudgedFlow, 'verdict'>[] = [];
  for (const port of svc.ports) {
    for (const pod of backends) {
      const target = targetPortOf(port, pod);
      if (target === undefined || !pod.nodeName || pod.nodeName === from.node) continue;
      const node = nodes.get(pod.nodeName);
      // Arriving at the backend's node through its host endpoint: a host process, or forwarded on to the pod.
      for (const hep of heps(pod.nodeName)) {
        const destination = pod.hostNetwork ? hostEnd(node as NodeFact, hep) : podEnd(pod);
        flows.push({
          flow: {
            node: pod.nodeName,
            hostEndpoint: hep,
            direction: 'Ingress',
            path: pod.hostNetwork ? 'local' : 'forward',
            protocol: port.protocol,
            source: from.end,
            destination,
            port: target,
          },
          servicePort: port,
          label: `${from.end.description} → ${pod.hostNetwork ? 'hostNetwork ' : ''}pod ${pod.namespace}/${pod.name}:${target} on ${pod.nodeName}`,
          pods: [pod],
        });
      }
      // Leaving the client's node through its host endpoint: the host itself, or a pod's traffic forwarded out.
      const clientNode = from.node ? nodes.get(from.node) : undefined;
      for (const hep of from.node ? heps(from.node) : []) {
        const source = from.hostNetwork ? hostEnd(clientNode as NodeFact, hep) : from.end;
        flows.push({
          flow: {
            node: (clientNode as NodeFact).name,
            hostEndpoint: hep,
            direction: 'Egress',
            path: from.hostNetwork ? 'local' : 'forward',
            protocol: port.protocol,
            source,
            destination: podEnd(pod),
            port: target,
          },
          servicePort: port,
          label: `${from.hostNetwork ? `hostNetwork client on ${(clientNode as NodeFact).name}` : from.end.description} → pod ${pod.namespace}/${pod.name}:${target}`,
          pods: [pod],
        });
      }
    }
    if (port.nodePort === undefined || (svc.type !== 'NodePort' && svc.type !== 'LoadBalancer')) continue;
    const entryNodes = facts.nodes.filter((n) => n.name !== from.node && heps(n.name).length > 0).slice(0, MAX_NODEPORT_NODES);
    for (const node of entryNodes) {
      for (const hep of heps(node.name)) {
        for (const pod of backends) {
          const target = targetPortOf(port, pod);
          if (target === undefined) continue;
          const local = pod.hostNetwork === true && pod.nodeName === node.name;
          flows.push({
            flow: {
              node: node.name,
              hostEndpoint: hep,
              direction: 'Ingress',
              path: local ? 'local' : 'forward',
              protocol: port.protocol,
              source: from.end,
              destination: local ? hostEnd(node, hep) : podEnd(pod),
              port: target,
              original: { destination: hostEnd(node, hep), port: port.nodePort },
            },
            servicePort: port,
            label: `NodePort ${port.nodePort} on ${node.name} → pod ${pod.namespace}/${pod.name}:${target}`,
            pods: [pod],
          });
        }
      }
    }
  }
  return flows;
}

/** A selector for the fix; a HostEndpoint without labels gets one first (all() would select every pod too). */
function selectorFor(hep: CalicoHostEndpointFact): { selector: string; label?: string } {
  const [key, value] = Object.entries(hep.labels)[0] ?? [];
  if (key !== undefined) return { selector: `${key} == '${value}'` };
  return { selector: `host-endpoint == '${hep.node}'`, label: `kubectl label hostendpoints.${hep.group} ${hep.name} host-endpoint=${hep.node}` };
}

function remediation(judged: JudgedFlow[], svc: ServiceFact): string {
  const parts = new Set<string>();
  for (const { flow, verdict } of judged) {
    if (verdict.outcome !== 'denied') continue;
    if (verdict.policy)
      parts.add(
        `# ${verdict.policy.name} ${verdict.policy.rule} denies it: allow ${flow.protocol} ${flow.port} in a rule before it\nkubectl edit ${verdict.policy.resource} ${verdict.policy.name}`,
      );
    const name = `allow-${svc.name}-${flow.port}-${flow.direction === 'Ingress' ? 'in' : 'out'}${flow.path === 'forward' ? '-forward' : ''}`.slice(0, 63);
    const { selector, label } = selectorFor(flow.hostEndpoint);
    if (label) parts.add(`# HostEndpoint ${flow.hostEndpoint.name} has no labels to select it by\n${label}`);
    // One policy per selector: host endpoints labelled alike share the fix.
    parts.add(
      [
        `# a GlobalNetworkPolicy selecting the host endpoints that allows ${flow.protocol} ${flow.port} (calicoctl apply -f - without the Calico API server)`,
        "kubectl apply -f - <<'EOF'",
        'apiVersion: projectcalico.org/v3',
        'kind: GlobalNetworkPolicy',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        `  selector: "${selector}"`,
        '  order: 100',
        ...(flow.path === 'forward' ? ['  applyOnForward: true'] : []),
        `  types: [${flow.direction}]`,
        `  ${flow.direction.toLowerCase()}:`,
        '    - action: Allow',
        `      protocol: ${flow.protocol}`,
        '      destination:',
        `        ports: [${flow.port}]`,
        'EOF',
      ].join('\n'),
    );
  }
  return [...parts].join('\n');
}

const check: Check = {
  code: 'calico-host-endpoint-denies',
  title: 'Calico host-endpoint policy drops the traffic at a node',
  passTitle: 'Calico host endpoints let the traffic through',
  layer: 'policy',
  docs: 'https://docs.tigera.io/calico/latest/reference/host-endpoints/summary',
  appliesTo: ['svc'],
  // Node agents' answers (uplink interface, CNI config): a sweep's per-service views hold none.
  needsPathAgents: true,
  explains: ['endpoint-timeout', 'clusterip-timeout'],
  run(facts: Facts): Finding[] {
    const systems = facts.policySystems;
    const calico = systems?.apis.find((a) => a.system === 'calico');
    if (!systems || !calico) return [skipped(check, 'Not applicable: Calico policies were not gathered for this job.')];
    if (calico.state === 'not-installed') return [skipped(check, 'Not applicable: Calico is not installed (no projectcalico.org API).')];
    if (calico.state !== 'served') return [skipped(check, `unknown, because Calico's policies could not be read${calico.detail ? ` (${calico.detail})` : ''}`)];
    if (systems.calicoHostEndpointsUnknown) return [skipped(check, systems.calicoHostEndpointsUnknown)];
    if (!systems.calicoHostEndpoints) return [skipped(check, 'unknown, because the HostEndpoints were not read')];
    if (systems.calicoHostEndpoints.length === 0) return [finding(check, { status: 'pass', detail: 'No Calico HostEndpoint exists: Calico polices no node interface.' })];
    const selected = servicePods(facts);
    if ('skip' in selected) return [skipped(check, selected.skip)];
    const nodesUnread = unreadable(facts, 'nodes');
    if (nodesUnread) return [skipped(check, nodesUnread)];
    const { svc, pods } = selected;
    const unknown: string[] = [];
    const ctx: HostPolicyContext = { systems, namespaceLabels: (name) => namespaceLabels(facts.namespaces, name) };
    const judged: JudgedFlow[] = flowsOf(facts, svc, pods, unknown).map((f) => ({ ...f, verdict: judgeHostFlow(f.flow, ctx) }));
    for (const j of judged) if (j.verdict.outcome === 'unknown') unknown.push(`${j.label}: ${j.verdict.reason}`);
    const denied = judged.filter((j) => j.verdict.outcome === 'denied');
    const unknownNote = unknown.length ? ` Also ${[...new Set(unknown)].slice(0, 3).join('; ')}.` : '';
    if (denied.length > 0) {
      const subjects: Subject[] = uniqueSubjects(
        denied.flatMap(({ flow, verdict, servicePort, pods: onFlow }) => [
          { kind: 'networkpolicy', name: flow.hostEndpoint.name, policyKind: `HostEndpoint.${flow.hostEndpoint.group}` },
          ...(verdict.outcome === 'denied' && verdict.policy
            ? [{ kind: 'networkpolicy' as const, name: verdict.policy.name, policyKind: verdict.policy.kind, ...(verdict.policy.rule ? { rule: verdict.policy.rule } : {}) }]
            : []),
          ...(verdict.outcome === 'denied' ? (verdict.endOfTier ?? []).map((p) => ({ kind: 'networkpolicy' as const, name: p.name, policyKind: p.kind })) : []),
          nodeSubject(flow.node),
          portSubject(svc, servicePort.port),
          ...onFlow.map(podSubject),
        ]),
      );
      const first = denied[0] as JudgedFlow;
      const more = denied.length > 1 ? ` (${denied.length} flows denied in all)` : '';
      return [
        finding(check, {
          status: 'fail',
          detail: `${first.label}: ${first.verdict.reason}${more}.${unknownNote}`,
          evidence: [
            ...denied.map((j) => `${j.label}: denied — ${j.verdict.reason}`),
            ...judged.filter((j) => j.verdict.outcome === 'allowed').map((j) => `${j.label}: allowed — ${j.verdict.reason}`),
          ].slice(0, 12),
          remediation: remediation(denied, svc),
          subjects,
        }),
      ];
    }
    if (unknown.length > 0) return [skipped(check, [...new Set(unknown)].slice(0, 3).join('; '))];
    if (judged.length === 0) {
      return [
        finding(check, {
          status: 'pass',
          detail: `No Calico HostEndpoint covers a node ${svc.namespace}/${svc.name}'s traffic crosses between hosts (${systems.calicoHostEndpoints.length} HostEndpoint(s) elsewhere).`,
        }),
      ];
    }
    return [
      finding(check, {
        status: 'pass',
        detail: `Every flow of ${svc.namespace}/${svc.name} through a Calico HostEndpoint is allowed (${judged.length} judged).`,
        evidence: judged.map((j) => `${j.label}: ${j.verdict.reason}`).slice(0, 12),
      }),
    ];
  },
};

export default check;
