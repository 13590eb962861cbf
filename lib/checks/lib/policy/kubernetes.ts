import type { NetworkPolicyFact } from '../../../model/index.js';
import { describePeer, describePort, effectivePolicyTypes, peerMatches, portMatches, selectsPod, type Direction } from '../netpol.js';
import { otherEnd, type CommonPolicy, type CommonRule } from './types.js';

// networking.k8s.io/v1 NetworkPolicy in the common form: every rule is an Allow, a policy that
// selects a pod for a direction isolates it (additive semantics). Calico enforces these in its
// `default` tier at order 1000, which is where the evaluator places them when Calico is present.

export const KUBERNETES_POLICY_ORDER = 1000;

function rules(policy: NetworkPolicyFact, direction: Direction): CommonRule[] {
  const list = direction === 'Ingress' ? policy.ingress : policy.egress;
  const preposition = direction === 'Ingress' ? 'from' : 'to';
  return list.map((rule, index): CommonRule => {
    const peers = rule.peers ?? [];
    const ports = rule.ports ?? [];
    const peerText = peers.length ? peers.map((p) => describePeer(p, policy.namespace)).join(' or ') : 'anywhere';
    const portsText = ports.length ? ports.map(describePort).join(', ') : 'all ports';
    return {
      direction,
      index,
      section: direction.toLowerCase(),
      action: 'Allow',
      text: `Allow ${preposition} ${peerText}; ${portsText}`,
      matches(connection, ctx) {
        const other = otherEnd(connection, direction);
        const peerOk = peers.length === 0 || peers.some((p) => peerMatches(p, policy.namespace, other, ctx.namespaces));
        return peerOk && (ports.length === 0 || ports.some((p) => portMatches(p, connection)));
      },
    };
  });
}

export function fromNetworkPolicy(policy: NetworkPolicyFact): CommonPolicy {
  const types = effectivePolicyTypes(policy);
  return {
    ref: { system: 'kubernetes', kind: 'NetworkPolicy', name: policy.name, namespace: policy.namespace, resource: 'networkpolicy' },
    stage: 'namespace',
    hint: { namespace: policy.namespace },
    tier: 'default',
    order: KUBERNETES_POLICY_ORDER,
    appliesTo: (pod, direction) => types.includes(direction) && selectsPod(policy, pod.namespace, pod.labels),
    isolates: (direction) => types.includes(direction),
    rules: { Ingress: rules(policy, 'Ingress'), Egress: rules(policy, 'Egress') },
  };
}
