import { outsideScopeReason, type Facts, type Labels, type Subject } from '../../../model/index.js';
import type { Direction, Endpoint } from '../netpol.js';
import type { Decision, DirectionVerdict } from './evaluate.js';
import { isPodEnd, policyLabel, ruleLabel, type PolicyRef } from './types.js';

// Words for what the engine decided: the subjects naming the deciding policy, kind and rule,
// and a fix that edits that policy in its own system's syntax — never "allow everything".

const SYSTEM_NAMES: Record<string, string> = { calico: 'Calico', cilium: 'Cilium', admin: 'AdminNetworkPolicy', cluster: 'ClusterNetworkPolicy' };

/** "unknown, because …" when a policy API the cluster offers could not be read: its policies might decide. */
export function policyApisUnknown(facts: Pick<Facts, 'policySystems' | 'readScope'>): string | null {
  const unseen = (facts.policySystems?.apis ?? []).filter((a) => a.state === 'out-of-scope');
  if (unseen.length && facts.readScope) {
    return `${outsideScopeReason(facts.readScope, 'cluster-wide policies')} (${unseen.map((a) => `${a.detail ?? a.system} of ${a.group}/${a.version}`).join('; ')}), which may decide this traffic`;
  }
  const failed = (facts.policySystems?.apis ?? []).filter((a) => a.state === 'forbidden' || a.state === 'unknown' || a.state === 'out-of-scope');
  if (failed.length === 0) return null;
  const what = failed.map((a) => `${a.group}/${a.version} (${a.state === 'forbidden' ? 'not allowed' : 'unreadable'}${a.detail ? `: ${a.detail}` : ''})`).join(', ');
  return `unknown, because the cluster serves ${what} and netcheck could not read those policies, which may decide this traffic`;
}

/** One line on which policy APIs were weighed: said once, in the evidence. */
export function policyApisLine(facts: Pick<Facts, 'policySystems'>): string | undefined {
  const apis = facts.policySystems?.apis ?? [];
  if (apis.length === 0) return undefined;
  const served = apis.filter((a) => a.state === 'served').map((a) => `${a.group}/${a.version}`);
  const absent = [...new Set(apis.filter((a) => a.state === 'not-installed').map((a) => SYSTEM_NAMES[a.system] ?? a.system))].filter(
    (name) => !apis.some((a) => a.state === 'served' && (SYSTEM_NAMES[a.system] ?? a.system) === name),
  );
  return `policy APIs weighed: NetworkPolicy${served.length ? `, ${served.join(', ')}` : ''}${absent.length ? `; not installed: ${absent.join(', ')}` : ''}`;
}

export function policySubject(decision: Decision): Extract<Subject, { kind: 'networkpolicy' }> {
  return {
    kind: 'networkpolicy',
    name: decision.policy.name,
    ...(decision.policy.namespace ? { namespace: decision.policy.namespace } : {}),
    policyKind: decision.policy.kind,
    ...(decision.rule ? { rule: ruleLabel(decision.rule) } : {}),
  };
}

function yamlLabels(labels: Labels, pad: string): string[] {
  return Object.entries(labels).map(([k, v]) => `${pad}${k}: ${JSON.stringify(v)}`);
}

function calicoSelectorOf(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k} == '${v}'`);
  return parts.length ? parts.join(' && ') : 'all()';
}

function cidrOf(ip: string): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/** An allow rule for `other` on the port, in the syntax of the policy's system. */
export function allowRule(ref: PolicyRef, direction: Direction, other: Endpoint, port: number, protocol: string): string[] {
  const pod = isPodEnd(other) ? other : undefined;
  const ingress = direction === 'Ingress';
  switch (ref.system) {
    case 'calico': {
      const peer = pod
        ? [`      namespaceSelector: projectcalico.org/name == '${pod.namespace}'`, `      selector: ${calicoSelectorOf(pod.labels)}`]
        : other.ip
          ? [`      nets: [${cidrOf(other.ip)}]`]
          : [];
      return [
        `  - action: Allow`,
        `    protocol: ${protocol}`,
        ...(ingress ? ['    source:', ...peer, '    destination:', `      ports: [${port}]`] : ['    destination:', ...peer, `      ports: [${port}]`]),
      ];
    }
    case 'cilium': {
      const key = ingress ? 'fromEndpoints' : 'toEndpoints';
      const peer = pod
        ? [`  - ${key}:`, '      - matchLabels:', `          k8s:io.kubernetes.pod.namespace: ${pod.namespace}`, ...yamlLabels(pod.labels, '          ')]
        : other.ip
          ? [`  - ${ingress ? 'fromCIDR' : 'toCIDR'}: [${cidrOf(other.ip)}]`]
          : [];
      const ports = ['toPorts:', '      - ports:', `          - port: "${port}"`, `            protocol: ${protocol}`];
      return peer.length ? [...peer, `    ${ports[0]}`, ...ports.slice(1)] : [`  - ${ports[0]}`, ...ports.slice(1)];
    }
    case 'admin': {
      const peer = pod
        ? [
            '      - pods:',
            '          namespaceSelector:',
            '            matchLabels:',
            `              kubernetes.io/metadata.name: ${pod.namespace}`,
            '          podSelector:',
            '            matchLabels:',
            ...yamlLabels(pod.labels, '              '),
          ]
        : other.ip && !ingress
          ? ['      - networks:', `          - ${cidrOf(other.ip)}`]
          : [];
      // ClusterNetworkPolicy says Accept, and protocols where the admin policies said ports.
      const cluster = ref.kind === 'ClusterNetworkPolicy';
      return [
        `  - name: allow-${pod ? pod.namespace : 'client'}-${port}`,
        `    action: ${cluster ? 'Accept' : 'Allow'}`,
        `    ${ingress ? 'from' : 'to'}:`,
        ...peer,
        ...(cluster
          ? ['    protocols:', `      - ${protocol.toLowerCase()}:`, '          destinationPort:', `            number: ${port}`]
          : ['    ports:', `      - portNumber: { protocol: ${protocol}, port: ${port} }`]),
      ];
    }
    default:
      return [];
  }
}

/**
 * The fix for one denied direction: edit the deciding policy. A Deny rule gets an Allow for this
 * client placed before it (ordered systems) or its peers narrowed (Cilium, where deny always
 * wins); a policy that isolates without admitting gets an allow rule.
 */
export function editPolicyFix(verdict: DirectionVerdict, other: Endpoint, port: number, protocol: string): string {
  const lead = verdict.decidedBy[0];
  if (!lead) return '';
  const ref = lead.policy;
  const edit = `kubectl ${ref.namespace ? `-n ${ref.namespace} ` : ''}edit ${ref.resource} ${ref.name}`;
  const section = verdict.direction === 'Ingress' ? 'ingress' : 'egress';
  const rule = allowRule(ref, verdict.direction, other, port, protocol);
  if (lead.rule?.action === 'Deny') {
    if (ref.system === 'cilium') {
      return `${edit}   # ${ruleLabel(lead.rule)} (${lead.rule.text}) matches ${other.description}; deny rules win over every allow in Cilium, so narrow that rule's peers or ports so it no longer covers this client on ${port}/${protocol}`;
    }
    const where =
      ref.system === 'calico'
        ? `above ${ruleLabel(lead.rule)} in the ${section} list (or in a policy of an earlier tier or lower order)`
        : lead.stage === 'admin'
          ? `above ${ruleLabel(lead.rule)} in the ${section} list (rules match in order; a Pass there hands it to the namespace's NetworkPolicies instead)`
          : `above ${ruleLabel(lead.rule)} in the ${section} list (or admit it with a NetworkPolicy in the namespace, which the baseline yields to)`;
    const allow = ref.kind === 'ClusterNetworkPolicy' ? 'an Accept' : 'an Allow';
    return [`${edit}   # ${ruleLabel(lead.rule)} (${lead.rule.text}) denies ${other.description}; add ${allow} ${where}:`, ...rule].join('\n');
  }
  if (ref.system === 'kubernetes') return '';
  const target = ref.system === 'cilium' ? `the ${section} section of the rule set selecting the pod` : `the ${section} rules`;
  return [`${edit}   # ${policyLabel(ref)} selects the pod and no rule admits ${other.description} on ${port}/${protocol}; add to ${target}:`, ...rule].join('\n');
}
