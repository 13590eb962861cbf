import type { PodDnsConfigFact } from '../model/index.js';

// The resolv.conf the kubelet writes into a pod, derived from its spec as the kubelet does
// (pkg/kubelet/network/dns): ClusterFirst gives the cluster DNS Service, the search list
// "<ns>.svc.<domain> svc.<domain> <domain>" (then the node's own search domains) and ndots:5;
// dnsConfig appends nameservers and searches and overrides options by name. Pure: the node's
// resolv.conf is not visible through the API, so what depends on it is said to be unknown.

/** glibc's and musl's default when resolv.conf sets no ndots. */
const RESOLVER_DEFAULT_NDOTS = 1;
/** The kubelet's option for ClusterFirst pods. */
const CLUSTER_FIRST_NDOTS = 5;

export interface PodDnsSpec {
  namespace: string;
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: PodDnsConfigFact;
}

export interface ResolvConf {
  searches: string[];
  ndots: number;
  /** Set when the node's resolv.conf feeds this one: its search domains (and, for Default, ndots) are not known. */
  fromNode?: 'searches-appended' | 'whole-file';
  /** How the policy was applied: "ClusterFirst", "ClusterFirst with dnsConfig", "Default (hostNetwork)". */
  policy: string;
}

function effectivePolicy(spec: PodDnsSpec): 'ClusterFirst' | 'Default' | 'None' {
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'None';
  if (policy === 'Default') return 'Default';
  if (policy === 'ClusterFirstWithHostNet') return 'ClusterFirst';
  // ClusterFirst on the host network falls back to the node's resolv.conf.
  return spec.hostNetwork ? 'Default' : 'ClusterFirst';
}

export function podResolvConf(spec: PodDnsSpec, clusterDomain: string): ResolvConf {
  const policy = effectivePolicy(spec);
  const base =
    policy === 'ClusterFirst'
      ? { searches: [`${spec.namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain], ndots: CLUSTER_FIRST_NDOTS, fromNode: 'searches-appended' as const }
      : policy === 'Default'
        ? { searches: [], ndots: RESOLVER_DEFAULT_NDOTS, fromNode: 'whole-file' as const }
        : { searches: [], ndots: RESOLVER_DEFAULT_NDOTS };
  const config = spec.dnsConfig;
  const searches = [...new Set([...base.searches, ...(config?.searches ?? []).map((s) => s.replace(/\.$/, '').toLowerCase())])];
  const ndotsOption = [...(config?.options ?? [])].reverse().find((o) => o.name === 'ndots');
  const parsed = ndotsOption?.value !== undefined && /^\d+$/.test(ndotsOption.value) ? Math.min(Number(ndotsOption.value), 15) : undefined;
  const label = `${spec.dnsPolicy === 'ClusterFirstWithHostNet' ? 'ClusterFirstWithHostNet' : policy}${policy === 'Default' && spec.dnsPolicy !== 'Default' ? ' (hostNetwork)' : ''}${config ? ' with dnsConfig' : ''}`;
  return {
    searches,
    ndots: parsed ?? base.ndots,
    ...('fromNode' in base ? { fromNode: base.fromNode } : {}),
    policy: label,
  };
}

/**
 * Outside the cluster: not the cluster domain nor under it, not a single label, not "<x>.svc", and
 * (when the namespaces are known) not the "<service>.<namespace>" short form.
 */
export function isExternalName(name: string, clusterDomain: string, namespaces: readonly string[] = []): boolean {
  const bare = name.replace(/\.$/, '').toLowerCase();
  const domain = clusterDomain.toLowerCase();
  const labels = bare.split('.');
  if (labels.length === 2 && namespaces.includes(labels[1] as string) && !name.endsWith('.')) return false;
  return bare !== domain && !bare.endsWith(`.${domain}`) && labels.length > 1 && !/\.svc$/.test(bare);
}

/**
 * The names a stub resolver tries, in order (glibc and musl): a name ending in "." only itself;
 * one with at least ndots dots itself first, then the search list; one with fewer dots the
 * search list first and itself last.
 */
export function searchCandidates(name: string, conf: Pick<ResolvConf, 'searches' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const expanded = conf.searches.map((domain) => `${name}.${domain}`);
  return dots >= conf.ndots ? [name, ...expanded] : [...expanded, name];
}
