// The resource table of the test API server: what kubectl's discovery sees and how each kind
// maps to its URL path. Kept apart from the HTTP code so selectors and tables can share it.

export interface ResourceType {
  /** Plural URL name, e.g. "services". */
  resource: string;
  singular: string;
  kind: string;
  /** "" for the core group. */
  group: string;
  version: string;
  namespaced: boolean;
  shortNames: string[];
  /**
   * A CRD group (Calico, Cilium, admin network policies): served only when the server is told to
   * (`serveGroups`), so tests can tell a cluster with it from one without (404, "not installed").
   */
  optional?: boolean;
}

const ALL_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  { resource: 'namespaces', singular: 'namespace', kind: 'Namespace', group: '', version: 'v1', namespaced: false, shortNames: ['ns'] },
  { resource: 'services', singular: 'service', kind: 'Service', group: '', version: 'v1', namespaced: true, shortNames: ['svc'] },
  { resource: 'endpoints', singular: 'endpoints', kind: 'Endpoints', group: '', version: 'v1', namespaced: true, shortNames: ['ep'] },
  { resource: 'pods', singular: 'pod', kind: 'Pod', group: '', version: 'v1', namespaced: true, shortNames: ['po'] },
  { resource: 'nodes', singular: 'node', kind: 'Node', group: '', version: 'v1', namespaced: false, shortNames: ['no'] },
  { resource: 'events', singular: 'event', kind: 'Event', group: '', version: 'v1', namespaced: true, shortNames: ['ev'] },
  { resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', group: '', version: 'v1', namespaced: true, shortNames: ['cm'] },
  { resource: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', namespaced: true, shortNames: [] },
  { resource: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', group: 'apps', version: 'v1', namespaced: true, shortNames: ['ds'] },
  { resource: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', namespaced: true, shortNames: ['netpol'] },
  ...policyCrds(),
];

/** The policy CRDs of Calico (both APIs), Cilium and sig-network's admin policies. */
function policyCrds(): ResourceType[] {
  const calico = (group: string, version: string): ResourceType[] => [
    { resource: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', group, version, namespaced: true, shortNames: [], optional: true },
    { resource: 'globalnetworkpolicies', singular: 'globalnetworkpolicy', kind: 'GlobalNetworkPolicy', group, version, namespaced: false, shortNames: [], optional: true },
    { resource: 'tiers', singular: 'tier', kind: 'Tier', group, version, namespaced: false, shortNames: [], optional: true },
    { resource: 'hostendpoints', singular: 'hostendpoint', kind: 'HostEndpoint', group, version, namespaced: false, shortNames: [], optional: true },
  ];
  return [
    ...calico('projectcalico.org', 'v3'),
    ...calico('crd.projectcalico.org', 'v1'),
    {
      resource: 'ciliumnetworkpolicies',
      singular: 'ciliumnetworkpolicy',
      kind: 'CiliumNetworkPolicy',
      group: 'cilium.io',
      version: 'v2',
      namespaced: true,
      shortNames: ['cnp'],
      optional: true,
    },
    {
      resource: 'ciliumclusterwidenetworkpolicies',
      singular: 'ciliumclusterwidenetworkpolicy',
      kind: 'CiliumClusterwideNetworkPolicy',
      group: 'cilium.io',
      version: 'v2',
      namespaced: false,
      shortNames: ['ccnp'],
      optional: true,
    },
    {
      resource: 'adminnetworkpolicies',
      singular: 'adminnetworkpolicy',
      kind: 'AdminNetworkPolicy',
      group: 'policy.networking.k8s.io',
      version: 'v1alpha1',
      namespaced: false,
      shortNames: ['anp'],
      optional: true,
    },
    {
      resource: 'baselineadminnetworkpolicies',
      singular: 'baselineadminnetworkpolicy',
      kind: 'BaselineAdminNetworkPolicy',
      group: 'policy.networking.k8s.io',
      version: 'v1alpha1',
      namespaced: false,
      shortNames: ['banp'],
      optional: true,
    },
    // The admin policies' successor, in both versions released (a cluster serves one or both).
    ...['v1beta1', 'v1alpha2'].map((version) => ({
      resource: 'clusternetworkpolicies',
      singular: 'clusternetworkpolicy',
      kind: 'ClusterNetworkPolicy',
      group: 'policy.networking.k8s.io',
      version,
      namespaced: false,
      shortNames: ['cnp'],
      optional: true,
    })),
  ];
}

/** The optional CRD groups the test server can be told to serve. */
export const OPTIONAL_GROUPS = [...new Set(RESOURCE_TYPES.filter((t) => t.optional).map((t) => t.group))];

export function groupVersion(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** Which types a server serves: every built-in one, and the optional groups it was told to. */
export type Served = (type: ResourceType) => boolean;

export const SERVE_BUILT_IN: Served = (type) => !type.optional;

export function findResourceType(group: string, version: string, resource: string, served: Served = SERVE_BUILT_IN): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource && served(t));
}

/**
 * By kind: "Service", or "Kind.group" where kinds repeat across groups ("NetworkPolicy.projectcalico.org");
 * with an apiVersion, the type of that group/version.
 */
export function findResourceTypeByKind(kind: string, apiVersion?: string): ResourceType | undefined {
  if (apiVersion !== undefined) return RESOURCE_TYPES.find((t) => t.kind === kind && groupVersion(t) === apiVersion);
  const dot = kind.indexOf('.');
  if (dot > 0) return RESOURCE_TYPES.find((t) => t.kind === kind.slice(0, dot) && t.group === kind.slice(dot + 1));
  return RESOURCE_TYPES.find((t) => t.kind === kind);
}

export function apiResourceList(group: string, version: string, served: Served = SERVE_BUILT_IN): object | undefined {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version && served(t));
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.map((t) => ({
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ALL_VERBS,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    })),
  };
}

export function apiGroupList(served: Served = SERVE_BUILT_IN): object {
  const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group && served(t)).map((t) => t.group))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((name) => {
      // Every version the group serves, the first one listed preferred (policy.networking.k8s.io has three).
      const versions = [...new Set(RESOURCE_TYPES.filter((t) => t.group === name && served(t)).map((t) => t.version))].map((version) => ({
        groupVersion: `${name}/${version}`,
        version,
      }));
      return { name, versions, preferredVersion: versions[0] };
    }),
  };
}
