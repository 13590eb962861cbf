// Policy systems beyond NetworkPolicy: discovery (`/apis`) says which of Calico, Cilium and the
// admin network policies the cluster serves, and only those are listed. A group discovery does
// not offer (or whose list answers 404) is "not installed"; a 403 is "not allowed" (and an
// access error, so api-access-denied names the missing rule); both are said once, in the facts.

import type { CalicoPolicyFact, PolicyApiFact, PolicySystem, PolicySystemsFact } from '../model/index.js';
import { emptyPolicySystems } from '../model/index.js';
import { toAdminPolicyFact, toCalicoHostEndpointFact, toCalicoPolicyFact, toCalicoTierFact, toCiliumPolicyFact, toClusterNetworkPolicyFact } from '../kube/policy-convert.js';
import type { RawObject } from '../kube/convert.js';
import { KubeApiError } from '../kube/reader.js';
import { Gatherer, type ListSpec } from './kube.js';

interface GroupChoice {
  system: PolicySystem;
  group: string;
  version: string;
}

/** Per system, the groups in order of preference: Calico's API server over its raw CRDs (the same objects). */
const CANDIDATES: readonly GroupChoice[][] = [
  [
    { system: 'calico', group: 'projectcalico.org', version: 'v3' },
    { system: 'calico', group: 'crd.projectcalico.org', version: 'v1' },
  ],
  [{ system: 'cilium', group: 'cilium.io', version: 'v2' }],
  [{ system: 'admin', group: 'policy.networking.k8s.io', version: 'v1alpha1' }],
  [
    { system: 'cluster', group: 'policy.networking.k8s.io', version: 'v1beta1' },
    { system: 'cluster', group: 'policy.networking.k8s.io', version: 'v1alpha2' },
  ],
];

export interface PolicyScope {
  /** Namespaces whose namespaced policies are read; undefined = every namespace (a sweep). */
  namespaces?: readonly string[];
  /**
   * Namespaced mode: the cluster-scoped policies (GlobalNetworkPolicy, CCNP, ANP/BANP, tiers) are
   * not read at all, and a system that has them is "out-of-scope" — its verdicts unknown.
   */
  namespacedOnly?: boolean;
}

interface ApiGroupList {
  groups?: { name?: string; versions?: { version?: string }[] }[];
}

async function discover(g: Gatherer): Promise<{ served: Set<string> } | { error: string }> {
  try {
    const list = await g.reader.get<ApiGroupList>('/apis');
    const served = new Set<string>();
    for (const group of list.groups ?? []) for (const v of group.versions ?? []) served.add(`${group.name}/${v.version}`);
    return { served };
  } catch (e) {
    return { error: e instanceof KubeApiError && e.status ? `discovery (/apis) answered ${e.status}: ${e.message}` : `discovery (/apis) failed: ${(e as Error).message}` };
  }
}

interface PolicyList {
  spec: ListSpec;
  read: (o: RawObject) => void;
  /** The kind, when it is cluster-scoped (namespaced mode cannot read it). */
  clusterKind?: string;
}

/** Lists in one group; 404 → not installed (no access error), other failures kept as access errors. */
async function listGroup(g: Gatherer, choice: GroupChoice, all: PolicyList[], namespacedOnly: boolean): Promise<PolicyApiFact> {
  const lists = namespacedOnly ? all.filter((l) => !l.clusterKind) : all;
  const unseen = namespacedOnly ? [...new Set(all.flatMap((l) => (l.clusterKind ? [l.clusterKind] : [])))] : [];
  const attempt = new Gatherer(g.reader);
  const results = await Promise.all(lists.map(({ spec, read }) => attempt.list(spec, (o) => o, { push: read })));
  const api: PolicyApiFact = { ...choice, state: 'served' };
  if (results.every(Boolean)) return unseen.length ? { ...api, state: 'out-of-scope', detail: unseen.join(', ') } : api;
  const errors = attempt.accessErrors;
  if (errors.every((e) => e.status === 404)) return { ...api, state: 'not-installed', detail: 'its lists answered 404' };
  g.accessErrors.push(...errors.filter((e) => e.status !== 404));
  const first = errors.find((e) => e.status !== 404);
  return { ...api, state: first?.status === 403 ? 'forbidden' : 'unknown', ...(first ? { detail: `${first.resource}.${first.group}: ${first.status} ${first.message}` } : {}) };
}

function specsFor(choice: GroupChoice, scope: PolicyScope, out: PolicySystemsFact): PolicyList[] {
  const { group, version } = choice;
  const namespaced = (resource: string, read: (o: RawObject) => void): PolicyList[] =>
    scope.namespaces === undefined
      ? [{ spec: { resource, group, version }, read }]
      : scope.namespaces.map((namespace) => ({ spec: { resource, group, version, namespace }, read }));
  const kinds: Record<string, string> = {
    globalnetworkpolicies: 'GlobalNetworkPolicy',
    tiers: 'Tier',
    ciliumclusterwidenetworkpolicies: 'CiliumClusterwideNetworkPolicy',
    adminnetworkpolicies: 'AdminNetworkPolicy',
    baselineadminnetworkpolicies: 'BaselineAdminNetworkPolicy',
    clusternetworkpolicies: 'ClusterNetworkPolicy',
  };
  const cluster = (resource: string, read: (o: RawObject) => void): PolicyList[] => [{ spec: { resource, group, version }, read, clusterKind: kinds[resource] ?? resource }];
  switch (choice.system) {
    case 'calico': {
      const push = (kind: CalicoPolicyFact['kind']) => (o: RawObject) => out.calico.push(toCalicoPolicyFact(o, kind, group));
      return [
        ...namespaced('networkpolicies', push('NetworkPolicy')),
        ...cluster('globalnetworkpolicies', push('GlobalNetworkPolicy')),
        ...cluster('tiers', (o) => out.calicoTiers.push(toCalicoTierFact(o))),
      ];
    }
    case 'cilium':
      return [
        ...namespaced('ciliumnetworkpolicies', (o) => out.cilium.push(toCiliumPolicyFact(o, 'CiliumNetworkPolicy'))),
        ...cluster('ciliumclusterwidenetworkpolicies', (o) => out.cilium.push(toCiliumPolicyFact(o, 'CiliumClusterwideNetworkPolicy'))),
      ];
    case 'admin':
      return [
        ...cluster('adminnetworkpolicies', (o) => out.admin.push(toAdminPolicyFact(o, 'AdminNetworkPolicy'))),
        ...cluster('baselineadminnetworkpolicies', (o) => out.admin.push(toAdminPolicyFact(o, 'BaselineAdminNetworkPolicy'))),
      ];
    case 'cluster':
      return cluster('clusternetworkpolicies', (o) => out.admin.push(toClusterNetworkPolicyFact(o)));
  }
}

/**
 * Calico's HostEndpoints, in the group its policies came from. Listed apart from the policies: a
 * chart that predates the hostendpoints rule must not turn every Calico policy into "unknown".
 */
/** HostEndpoints are cluster-scoped: a namespaced netcheck may not list them. */
const NAMESPACED_HOST_ENDPOINTS = 'unknown, because netcheck runs namespaced and may not list the cluster-scoped Calico HostEndpoints';

async function listHostEndpoints(g: Gatherer, choice: GroupChoice, out: PolicySystemsFact): Promise<void> {
  const attempt = new Gatherer(g.reader);
  const endpoints: PolicySystemsFact['calicoHostEndpoints'] = [];
  const ok = await attempt.list({ resource: 'hostendpoints', group: choice.group, version: choice.version }, (o) => o, {
    push: (o) => endpoints.push(toCalicoHostEndpointFact(o, choice.group)),
  });
  if (ok) {
    out.calicoHostEndpoints = endpoints;
    return;
  }
  const error = attempt.accessErrors[0];
  // No HostEndpoint resource served: nothing can sit under host-endpoint policy.
  if (error?.status === 404) {
    out.calicoHostEndpoints = [];
    return;
  }
  g.accessErrors.push(...attempt.accessErrors);
  out.calicoHostEndpointsUnknown = `unknown, because hostendpoints.${choice.group} could not be listed${error ? ` (${error.status} ${error.message})` : ''}`;
}

/** Every policy system the cluster serves, read for `scope`. Never throws: failures are facts. */
export async function gatherPolicySystems(g: Gatherer, scope: PolicyScope): Promise<PolicySystemsFact> {
  const out = emptyPolicySystems();
  const discovery = await discover(g);
  if ('error' in discovery) {
    out.apis = CANDIDATES.map((c) => ({ ...(c[0] as GroupChoice), state: 'unknown', detail: discovery.error }));
    return out;
  }
  out.apis = await Promise.all(
    CANDIDATES.map(async (choices) => {
      const choice = choices.find((c) => discovery.served.has(`${c.group}/${c.version}`));
      if (!choice) return { ...(choices[0] as GroupChoice), state: 'not-installed' as const };
      const namespacedOnly = scope.namespacedOnly === true;
      if (choice.system === 'calico' && namespacedOnly) out.calicoHostEndpointsUnknown = NAMESPACED_HOST_ENDPOINTS;
      const listHosts = choice.system === 'calico' && !namespacedOnly;
      const [api] = await Promise.all([listGroup(g, choice, specsFor(choice, scope, out), namespacedOnly), listHosts ? listHostEndpoints(g, choice, out) : undefined]);
      return api;
    }),
  );
  return out;
}
