// Raw Calico, Cilium and admin network policy objects → slim policy facts (lib/model/policies.ts).
// Like convert.ts, every field is read defensively; fields that matter to a decision but that
// netcheck does not evaluate are kept by name in `unsupported`, so the engine says "unknown"
// instead of ignoring them.

/* eslint-disable @typescript-eslint/no-explicit-any -- raw API JSON is read defensively field by field */
import type {
  AdminPeerFact,
  AdminPodsFact,
  AdminPolicyFact,
  AdminPortFact,
  AdminRuleFact,
  CalicoEntityFact,
  CalicoHostEndpointFact,
  CalicoPolicyFact,
  CalicoRuleFact,
  CalicoTierFact,
  CiliumPolicyFact,
  CiliumRuleFact,
  CiliumRuleSetFact,
} from '../model/index.js';
import { labelSelector, type RawObject } from './convert.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): string[] => arr(v).filter((x) => typeof x === 'string');
const present = (o: RawObject, keys: string[]): string[] => keys.filter((k) => o?.[k] !== undefined && o?.[k] !== null);

function directions(v: unknown): ('Ingress' | 'Egress')[] {
  return arr(v).filter((t): t is 'Ingress' | 'Egress' => t === 'Ingress' || t === 'Egress');
}

// Calico

function calicoEntity(v: unknown): CalicoEntityFact | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const e = v as RawObject;
  const fact: CalicoEntityFact = {};
  if (Array.isArray(e.nets)) fact.nets = strings(e.nets);
  if (Array.isArray(e.notNets)) fact.notNets = strings(e.notNets);
  if (str(e.selector) !== undefined) fact.selector = e.selector;
  if (str(e.notSelector) !== undefined) fact.notSelector = e.notSelector;
  if (str(e.namespaceSelector) !== undefined) fact.namespaceSelector = e.namespaceSelector;
  const ports = (p: unknown) => arr(p).filter((x) => typeof x === 'number' || typeof x === 'string');
  if (Array.isArray(e.ports)) fact.ports = ports(e.ports);
  if (Array.isArray(e.notPorts)) fact.notPorts = ports(e.notPorts);
  if (e.serviceAccounts && typeof e.serviceAccounts === 'object') {
    const accounts = e.serviceAccounts as RawObject;
    fact.serviceAccounts = {
      ...(Array.isArray(accounts.names) ? { names: strings(accounts.names) } : {}),
      ...(str(accounts.selector) !== undefined ? { selector: accounts.selector } : {}),
    };
  }
  const unsupported = present(e, ['services']);
  if (unsupported.length) fact.unsupported = unsupported;
  return fact;
}

function calicoRule(r: RawObject): CalicoRuleFact {
  const action = ['Allow', 'Deny', 'Log', 'Pass'].includes(r?.action) ? r.action : 'Deny';
  const rule: CalicoRuleFact = { action };
  if (typeof r?.protocol === 'string' || typeof r?.protocol === 'number') rule.protocol = r.protocol;
  if (typeof r?.notProtocol === 'string' || typeof r?.notProtocol === 'number') rule.notProtocol = r.notProtocol;
  const source = calicoEntity(r?.source);
  const destination = calicoEntity(r?.destination);
  if (source) rule.source = source;
  if (destination) rule.destination = destination;
  // icmp/notICMP only matter for ICMP, which netcheck never probes; http narrows an allowed TCP connection.
  if (r?.ipVersion === 4 || r?.ipVersion === 6) rule.ipVersion = r.ipVersion;
  else if (r?.ipVersion !== undefined && r?.ipVersion !== null) rule.unsupported = [`ipVersion ${JSON.stringify(r.ipVersion)}`];
  return rule;
}

export function toCalicoPolicyFact(o: RawObject, kind: CalicoPolicyFact['kind'], group: string): CalicoPolicyFact {
  const spec = (o.spec ?? {}) as RawObject;
  const ingress = arr(spec.ingress).map(calicoRule);
  const egress = arr(spec.egress).map(calicoRule);
  const declared = directions(spec.types);
  // Calico's default: Ingress, plus Egress when there are egress rules; Egress alone when only those.
  const types: ('Ingress' | 'Egress')[] = declared.length ? declared : egress.length ? (ingress.length ? ['Ingress', 'Egress'] : ['Egress']) : ['Ingress'];
  const fact: CalicoPolicyFact = { kind, group, name: str(o.metadata?.name) ?? '', tier: str(spec.tier) || 'default', types, ingress, egress };
  if (kind === 'NetworkPolicy') fact.namespace = str(o.metadata?.namespace) ?? '';
  if (num(spec.order) !== undefined) fact.order = spec.order;
  if (str(spec.selector) !== undefined) fact.selector = spec.selector;
  if (kind === 'GlobalNetworkPolicy' && str(spec.namespaceSelector) !== undefined) fact.namespaceSelector = spec.namespaceSelector;
  if (str(spec.serviceAccountSelector) !== undefined) fact.serviceAccountSelector = spec.serviceAccountSelector;
  // Felix gives pods the normal policies only: untracked and pre-DNAT ones go to host endpoints
  // alone, while an applyOnForward policy is a normal one that also polices forwarded host traffic.
  if (spec.doNotTrack === true || spec.preDNAT === true) fact.hostOnly = true;
  if (spec.preDNAT === true) fact.preDNAT = true;
  if (spec.applyOnForward === true) fact.applyOnForward = true;
  if (spec.doNotTrack === true) fact.doNotTrack = true;
  return fact;
}

export function toCalicoHostEndpointFact(o: RawObject, group: string): CalicoHostEndpointFact {
  const spec = (o.spec ?? {}) as RawObject;
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries((o.metadata?.labels ?? {}) as Record<string, unknown>)) if (typeof value === 'string') labels[key] = value;
  const fact: CalicoHostEndpointFact = { group, name: str(o.metadata?.name) ?? '', labels, node: str(spec.node) ?? '' };
  if (str(spec.interfaceName)) fact.interfaceName = spec.interfaceName;
  const ips = arr(spec.expectedIPs).filter((ip): ip is string => typeof ip === 'string');
  if (ips.length) fact.expectedIPs = ips;
  const profiles = arr(spec.profiles).filter((p): p is string => typeof p === 'string');
  if (profiles.length) fact.profiles = profiles;
  return fact;
}

export function toCalicoTierFact(o: RawObject): CalicoTierFact {
  const spec = (o.spec ?? {}) as RawObject;
  const fact: CalicoTierFact = { name: str(o.metadata?.name) ?? '' };
  if (num(spec.order) !== undefined) fact.order = spec.order;
  if (spec.defaultAction === 'Pass' || spec.defaultAction === 'Deny') fact.defaultAction = spec.defaultAction;
  return fact;
}

// Cilium

function ciliumRule(r: RawObject, direction: 'from' | 'to'): CiliumRuleFact {
  const rule: CiliumRuleFact = {};
  const endpoints = r?.[`${direction}Endpoints`];
  if (Array.isArray(endpoints)) rule.endpoints = endpoints.map(labelSelector);
  if (Array.isArray(r?.[`${direction}CIDR`])) rule.cidr = strings(r[`${direction}CIDR`]);
  const sets = arr(r?.[`${direction}CIDRSet`]);
  const unsupported: string[] = [];
  if (sets.length) {
    rule.cidrSet = sets.filter((s) => str(s?.cidr)).map((s) => ({ cidr: s.cidr, ...(Array.isArray(s.except) ? { except: strings(s.except) } : {}) }));
    if (sets.some((s) => !str(s?.cidr))) unsupported.push(`${direction}CIDRSet cidrGroupRef`);
  }
  if (Array.isArray(r?.[`${direction}Entities`])) rule.entities = strings(r[`${direction}Entities`]);
  if (Array.isArray(r?.toPorts)) {
    rule.toPorts = r.toPorts.map((tp: RawObject) => ({
      ports: arr(tp?.ports).map((p) => ({
        ...(p?.port !== undefined ? { port: String(p.port) } : {}),
        ...(num(p?.endPort) !== undefined ? { endPort: p.endPort } : {}),
        ...(str(p?.protocol) ? { protocol: p.protocol } : {}),
      })),
    }));
  }
  unsupported.push(...present(r ?? {}, direction === 'from' ? ['fromRequires', 'fromGroups', 'fromNodes'] : ['toRequires', 'toGroups', 'toNodes', 'toFQDNs', 'toServices']));
  if (unsupported.length) rule.unsupported = unsupported;
  return rule;
}

function ciliumRuleSet(s: RawObject): CiliumRuleSetFact {
  const set: CiliumRuleSetFact = {};
  if (s?.endpointSelector) set.endpointSelector = labelSelector(s.endpointSelector);
  if (s?.nodeSelector) set.nodeSelector = labelSelector(s.nodeSelector);
  if (Array.isArray(s?.ingress)) set.ingress = s.ingress.map((r: RawObject) => ciliumRule(r, 'from'));
  if (Array.isArray(s?.ingressDeny)) set.ingressDeny = s.ingressDeny.map((r: RawObject) => ciliumRule(r, 'from'));
  if (Array.isArray(s?.egress)) set.egress = s.egress.map((r: RawObject) => ciliumRule(r, 'to'));
  if (Array.isArray(s?.egressDeny)) set.egressDeny = s.egressDeny.map((r: RawObject) => ciliumRule(r, 'to'));
  const flags = s?.enableDefaultDeny;
  if (flags && typeof flags === 'object') {
    set.enableDefaultDeny = { ...(typeof flags.ingress === 'boolean' ? { ingress: flags.ingress } : {}), ...(typeof flags.egress === 'boolean' ? { egress: flags.egress } : {}) };
  }
  return set;
}

export function toCiliumPolicyFact(o: RawObject, kind: CiliumPolicyFact['kind']): CiliumPolicyFact {
  const specs = [...(o.spec && typeof o.spec === 'object' ? [o.spec] : []), ...arr(o.specs)].map(ciliumRuleSet);
  return { kind, name: str(o.metadata?.name) ?? '', ...(kind === 'CiliumNetworkPolicy' ? { namespace: str(o.metadata?.namespace) ?? '' } : {}), specs };
}

// AdminNetworkPolicy / BaselineAdminNetworkPolicy

/** A namespace selector as v1alpha1 has it, or as API v0.1.1 had it ({namespaceSelector}, sameLabels, notSameLabels); undefined when unsupported is filled. */
function adminNamespaces(v: RawObject, field: string, unsupported: string[]): ReturnType<typeof labelSelector> | undefined {
  const relational = present(v ?? {}, ['sameLabels', 'notSameLabels', 'related']);
  if (relational.length) {
    unsupported.push(...relational.map((k) => `${field}.${k}`));
    return undefined;
  }
  // Read as a plain label selector, v0.1.1's wrapper would select every namespace.
  return labelSelector(v?.namespaceSelector !== undefined ? v.namespaceSelector : v);
}

function adminPods(v: RawObject, field: string, unsupported: string[]): AdminPodsFact | undefined {
  // v0.1.1 peers: pods.namespaces wraps the namespace selector; v1alpha1 since: pods.namespaceSelector.
  const namespaceSelector = v?.namespaces !== undefined ? adminNamespaces(v.namespaces, `${field}.namespaces`, unsupported) : labelSelector(v?.namespaceSelector);
  return namespaceSelector && { namespaceSelector, podSelector: labelSelector(v?.podSelector) };
}

const ADMIN_PEERS = ['namespaces', 'pods', 'nodes', 'networks'];

function adminPeer(p: RawObject): AdminPeerFact {
  const peer: AdminPeerFact = {};
  const unsupported: string[] = [];
  if (p?.namespaces) {
    const namespaces = adminNamespaces(p.namespaces, 'namespaces', unsupported);
    if (namespaces) peer.namespaces = namespaces;
  }
  if (p?.pods) {
    const pods = adminPods(p.pods, 'pods', unsupported);
    if (pods) peer.pods = pods;
  }
  if (p?.nodes) peer.nodes = labelSelector(p.nodes);
  if (Array.isArray(p?.networks)) peer.networks = strings(p.networks);
  // domainNames, and any peer type newer than netcheck: the API asks consumers to fail closed on those.
  unsupported.push(...Object.keys(p ?? {}).filter((k) => !ADMIN_PEERS.includes(k)));
  if (unsupported.length) peer.unsupported = unsupported;
  return peer;
}

function adminProtocol(v: unknown): 'TCP' | 'UDP' | 'SCTP' {
  return v === 'UDP' || v === 'SCTP' ? v : 'TCP';
}

function adminPort(p: RawObject): AdminPortFact {
  if (p?.portNumber) return { portNumber: { protocol: adminProtocol(p.portNumber.protocol), port: num(p.portNumber.port) ?? 0 } };
  if (p?.portRange) return { portRange: { protocol: adminProtocol(p.portRange.protocol), start: num(p.portRange.start) ?? 0, end: num(p.portRange.end) ?? 0 } };
  if (str(p?.namedPort) !== undefined) return { namedPort: p.namedPort };
  return { unsupported: Object.keys(p ?? {}).join(', ') || 'an empty port' };
}

function adminRule(r: RawObject, peersField: 'from' | 'to'): AdminRuleFact {
  const action = ['Allow', 'Deny', 'Pass'].includes(r?.action) ? r.action : 'Deny';
  return {
    ...(str(r?.name) ? { name: r.name } : {}),
    action,
    peers: arr(r?.[peersField]).map(adminPeer),
    ...(Array.isArray(r?.ports) ? { ports: r.ports.map(adminPort) } : {}),
  };
}

function adminSubject(spec: RawObject): AdminPolicyFact['subject'] {
  const subject: AdminPolicyFact['subject'] = {};
  const unsupported: string[] = [];
  if (spec.subject?.namespaces) subject.namespaces = labelSelector(spec.subject.namespaces);
  if (spec.subject?.pods) {
    const pods = adminPods(spec.subject.pods, 'subject.pods', unsupported);
    if (pods) subject.pods = pods;
  }
  unsupported.push(
    ...Object.keys(spec.subject ?? {})
      .filter((k) => k !== 'namespaces' && k !== 'pods')
      .map((k) => `subject.${k}`),
  );
  if (unsupported.length) subject.unsupported = unsupported;
  return subject;
}

export function toAdminPolicyFact(o: RawObject, kind: Exclude<AdminPolicyFact['kind'], 'ClusterNetworkPolicy'>): AdminPolicyFact {
  const spec = (o.spec ?? {}) as RawObject;
  return {
    kind,
    name: str(o.metadata?.name) ?? '',
    ...(kind === 'AdminNetworkPolicy' && num(spec.priority) !== undefined ? { priority: spec.priority } : {}),
    subject: adminSubject(spec),
    ingress: arr(spec.ingress).map((r) => adminRule(r, 'from')),
    egress: arr(spec.egress).map((r) => adminRule(r, 'to')),
  };
}

// ClusterNetworkPolicy

const CNP_PROTOCOLS = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' } as const;

/** One entry of a rule's protocols: a port (number or range) of one protocol, every port of it, or a named port. */
function clusterProtocol(p: RawObject): AdminPortFact {
  if (str(p?.destinationNamedPort) !== undefined) return { namedPort: p.destinationNamedPort };
  for (const [key, protocol] of Object.entries(CNP_PROTOCOLS)) {
    if (!p?.[key]) continue;
    const port = p[key].destinationPort;
    if (num(port?.number) !== undefined) return { portNumber: { protocol, port: port.number } };
    if (port?.range) return { portRange: { protocol, start: num(port.range.start) ?? 0, end: num(port.range.end) ?? 0 } };
    if (port === undefined) return { portRange: { protocol, start: 1, end: 65535 } };
  }
  return { unsupported: Object.keys(p ?? {}).join(', ') || 'an empty protocol' };
}

function clusterRule(r: RawObject, peersField: 'from' | 'to'): AdminRuleFact {
  // Accept is the API's word for Allow; an action newer than netcheck fails closed, as the API asks.
  const action = r?.action === 'Accept' ? 'Allow' : r?.action === 'Pass' ? 'Pass' : 'Deny';
  return {
    ...(str(r?.name) ? { name: r.name } : {}),
    action,
    peers: arr(r?.[peersField]).map(adminPeer),
    ...(Array.isArray(r?.protocols) ? { ports: r.protocols.map(clusterProtocol) } : {}),
  };
}

export function toClusterNetworkPolicyFact(o: RawObject): AdminPolicyFact {
  const spec = (o.spec ?? {}) as RawObject;
  const subject = adminSubject(spec);
  const tier = spec.tier === 'Admin' || spec.tier === 'Baseline' ? spec.tier : undefined;
  // Whether it decides before or after NetworkPolicy is then unknown: so is whom it binds.
  if (!tier) subject.unsupported = [...(subject.unsupported ?? []), `tier ${JSON.stringify(spec.tier ?? null)}`];
  return {
    kind: 'ClusterNetworkPolicy',
    name: str(o.metadata?.name) ?? '',
    ...(num(spec.priority) !== undefined ? { priority: spec.priority } : {}),
    ...(tier ? { tier } : {}),
    subject,
    ingress: arr(spec.ingress).map((r) => clusterRule(r, 'from')),
    egress: arr(spec.egress).map((r) => clusterRule(r, 'to')),
  };
}
