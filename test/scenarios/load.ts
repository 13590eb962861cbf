// Loads a scenario fixture (test/scenarios/*.yaml) into full Facts plus its expectations.
// Fixtures stay short: the loader fills the fields every object has (empty lists, defaults the
// API server would set) and rejects unknown keys so a typo fails loudly instead of testing nothing.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { targetSpecSchema, type Facts, type Target } from '../../lib/model/index.js';

const subjectSchema = z.strictObject({
  kind: z.enum(['service', 'pod', 'node', 'port', 'namespace', 'networkpolicy', 'daemonset', 'dns', 'ip']),
  name: z.string(),
  namespace: z.string().optional(),
  policyKind: z.string().optional(),
  rule: z.string().optional(),
});

const statusSchema = z.enum(['pass', 'warn', 'fail', 'skip', 'error']);

const expectSchema = z.strictObject({
  status: z.enum(['ok', 'warn', 'fail', 'error']),
  rootCause: z.string().nullable(),
  rootCauseSubjects: z.array(subjectSchema).optional(),
  findings: z.record(z.string(), statusSchema).optional(),
  explainedBy: z.record(z.string(), z.string()).optional(),
  noFailOrWarn: z.boolean().optional(),
  summaryIncludes: z.array(z.string()).optional(),
});

export type ScenarioExpect = z.infer<typeof expectSchema>;

const targetSchema = z.intersection(targetSpecSchema, z.object({ cluster: z.string() }));

const FACT_KEYS = [
  'services',
  'sameNameElsewhere',
  'referencedServices',
  'pods',
  'endpointSlices',
  'nodes',
  'networkPolicies',
  'policySystems',
  'namespaces',
  'systemDaemonSets',
  'systemPods',
  'dns',
  'probes',
  'events',
  'nodeAgents',
  'accessErrors',
  'apiRequests',
  'collectedAt',
  'readScope',
] as const;

const scenarioSchema = z.strictObject({
  description: z.string().min(1),
  target: targetSchema,
  facts: z.record(z.string(), z.unknown()).default({}),
  expect: expectSchema,
});

export interface Scenario {
  file: string;
  description: string;
  facts: Facts;
  expect: ScenarioExpect;
}

type Loose = Record<string, unknown>;

class FixtureError extends Error {}

function list(value: unknown, where: string): Loose[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FixtureError(`${where} must be a list`);
  return value.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new FixtureError(`${where}[${i}] must be a mapping`);
    return item as Loose;
  });
}

function need(obj: Loose, keys: readonly string[], where: string): void {
  for (const key of keys) {
    if (obj[key] === undefined) throw new FixtureError(`${where} is missing required field "${key}"`);
  }
}

function fillService(svc: Loose, where: string): Loose {
  need(svc, ['name', 'namespace', 'ports'], where);
  const ports = list(svc.ports, `${where}.ports`).map((port, i) => {
    need(port, ['port'], `${where}.ports[${i}]`);
    return { protocol: 'TCP', targetPort: port.port, ...port };
  });
  return { type: 'ClusterIP', ...svc, ports };
}

function fillPod(pod: Loose, where: string): Loose {
  need(pod, ['name', 'namespace', 'phase', 'ready'], where);
  const containers = list(pod.containers, `${where}.containers`).map((c, i) => {
    need(c, ['name', 'ready', 'state'], `${where}.containers[${i}]`);
    return { restartCount: 0, ...c, ports: list(c.ports, `${where}.containers[${i}].ports`).map((p) => ({ protocol: 'TCP', ...p })) };
  });
  return { labels: {}, ...pod, conditions: list(pod.conditions, `${where}.conditions`), containers };
}

function fillSlice(slice: Loose, where: string): Loose {
  need(slice, ['name', 'namespace', 'serviceName'], where);
  const endpoints = list(slice.endpoints, `${where}.endpoints`).map((e, i) => {
    need(e, ['addresses', 'ready'], `${where}.endpoints[${i}]`);
    return e;
  });
  const ports = list(slice.ports, `${where}.ports`).map((p) => ({ protocol: 'TCP', ...p }));
  return { addressType: 'IPv4', source: 'endpointslice', ...slice, ports, endpoints };
}

function fillNode(node: Loose, where: string): Loose {
  need(node, ['name', 'ready'], where);
  return { labels: {}, networkUnavailable: null, podCIDRs: [], unschedulable: false, taints: [], ...node };
}

/** The API server's defaulting: Ingress always, Egress too when the policy has egress rules. */
function fillPolicy(policy: Loose, where: string): Loose {
  need(policy, ['name', 'namespace', 'podSelector'], where);
  const egress = list(policy.egress, `${where}.egress`);
  const policyTypes = policy.policyTypes ?? (egress.length ? ['Ingress', 'Egress'] : ['Ingress']);
  return { ...policy, policyTypes, ingress: list(policy.ingress, `${where}.ingress`), egress };
}

/** An Event as the gatherer keeps it: Warning, seen once, stored in its object's namespace (nodes: default). */
function fillEvent(event: Loose, where: string): Loose {
  need(event, ['involvedObject', 'reason', 'message'], where);
  const involved = event.involvedObject as Loose;
  need(involved, ['kind', 'name'], `${where}.involvedObject`);
  return { namespace: (involved.namespace as string | undefined) ?? 'default', type: 'Warning', count: 1, ...event };
}

/** Calico, Cilium and admin policies with the defaults their API servers and CRDs apply. */
function fillPolicySystems(raw: Loose): Loose {
  const where = 'facts.policySystems';
  const unknownKeys = Object.keys(raw).filter((k) => !['apis', 'calicoTiers', 'calico', 'calicoHostEndpoints', 'calicoHostEndpointsUnknown', 'cilium', 'admin'].includes(k));
  if (unknownKeys.length) throw new FixtureError(`${where}: unknown key(s) ${unknownKeys.join(', ')}`);
  const calico = list(raw.calico, `${where}.calico`).map((p, i) => {
    need(p, ['kind', 'name'], `${where}.calico[${i}]`);
    const ingress = list(p.ingress, `${where}.calico[${i}].ingress`);
    const egress = list(p.egress, `${where}.calico[${i}].egress`);
    // Calico's default types: Ingress, plus Egress with egress rules; Egress alone when only those.
    const types = egress.length ? (ingress.length ? ['Ingress', 'Egress'] : ['Egress']) : ['Ingress'];
    return { group: 'projectcalico.org', tier: 'default', types, ...p, ingress, egress };
  });
  const cilium = list(raw.cilium, `${where}.cilium`).map((p, i) => {
    need(p, ['kind', 'name', 'specs'], `${where}.cilium[${i}]`);
    // The fact's rule fields are direction-neutral (endpoints, not fromEndpoints): a CRD spelling would be silently ignored.
    list(p.specs, `${where}.cilium[${i}].specs`).forEach((spec, j) => {
      for (const section of ['ingress', 'ingressDeny', 'egress', 'egressDeny']) {
        list(spec[section], `${where}.cilium[${i}].specs[${j}].${section}`).forEach((rule, k) => {
          const bad = Object.keys(rule).filter((key) => !['endpoints', 'cidr', 'cidrSet', 'entities', 'toPorts', 'unsupported'].includes(key));
          if (bad.length)
            throw new FixtureError(`${where}.cilium[${i}].specs[${j}].${section}[${k}]: unknown key(s) ${bad.join(', ')} (use endpoints, cidr, cidrSet, entities, toPorts)`);
        });
      }
    });
    return p;
  });
  const admin = list(raw.admin, `${where}.admin`).map((p, i) => {
    need(p, ['kind', 'name', 'subject'], `${where}.admin[${i}]`);
    return { ...p, ingress: list(p.ingress, `${where}.admin[${i}].ingress`), egress: list(p.egress, `${where}.admin[${i}].egress`) };
  });
  const hostEndpoints =
    raw.calicoHostEndpoints === undefined
      ? {}
      : {
          calicoHostEndpoints: list(raw.calicoHostEndpoints, `${where}.calicoHostEndpoints`).map((h, i) => {
            need(h, ['name', 'node'], `${where}.calicoHostEndpoints[${i}]`);
            return { group: 'projectcalico.org', labels: {}, ...h };
          }),
        };
  const hostEndpointsUnknown = raw.calicoHostEndpointsUnknown === undefined ? {} : { calicoHostEndpointsUnknown: raw.calicoHostEndpointsUnknown };
  return { apis: list(raw.apis, `${where}.apis`), calicoTiers: list(raw.calicoTiers, `${where}.calicoTiers`), calico, ...hostEndpoints, ...hostEndpointsUnknown, cilium, admin };
}

/** Kernel facts not named in a fixture are "unknown" (null), never a healthy default. */
function fillAgent(agent: Loose, where: string, readAt: string): Loose {
  need(agent, ['node', 'status'], where);
  if (agent.facts === undefined) return agent;
  const kernel = agent.facts as Loose;
  return {
    ...agent,
    facts: {
      ipForward: null,
      ipv6Forward: null,
      bridgeNetfilterLoaded: null,
      bridgeNfCallIptables: null,
      bridgeNfCallIp6tables: null,
      conntrack: null,
      rpFilter: { all: null, default: null, interfaces: {} },
      interfaces: [],
      routes: [],
      unknown: {},
      readAt,
      ...kernel,
    },
  };
}

/** Full Facts from a partial object, with the same defaults and validation as a fixture file. */
export function buildFacts(target: Target, raw: Loose): Facts {
  const unknownKeys = Object.keys(raw).filter((key) => !(FACT_KEYS as readonly string[]).includes(key));
  if (unknownKeys.length) throw new FixtureError(`unknown facts key(s) ${unknownKeys.join(', ')}; allowed: ${FACT_KEYS.join(', ')}`);
  const probes = (raw.probes ?? {}) as Loose;
  const dns = raw.dns as Loose | undefined;
  const collectedAt = (raw.collectedAt as string | undefined) ?? '2026-11-26T07:00:00.000Z';
  const facts = {
    target,
    collectedAt,
    services: list(raw.services, 'facts.services').map((s, i) => fillService(s, `facts.services[${i}]`)),
    sameNameElsewhere: list(raw.sameNameElsewhere, 'facts.sameNameElsewhere').map((s, i) => fillService(s, `facts.sameNameElsewhere[${i}]`)),
    ...(raw.referencedServices !== undefined
      ? { referencedServices: list(raw.referencedServices, 'facts.referencedServices').map((s, i) => fillService(s, `facts.referencedServices[${i}]`)) }
      : {}),
    pods: list(raw.pods, 'facts.pods').map((p, i) => fillPod(p, `facts.pods[${i}]`)),
    endpointSlices: list(raw.endpointSlices, 'facts.endpointSlices').map((s, i) => fillSlice(s, `facts.endpointSlices[${i}]`)),
    nodes: list(raw.nodes, 'facts.nodes').map((n, i) => fillNode(n, `facts.nodes[${i}]`)),
    networkPolicies: list(raw.networkPolicies, 'facts.networkPolicies').map((p, i) => fillPolicy(p, `facts.networkPolicies[${i}]`)),
    ...(raw.policySystems !== undefined ? { policySystems: fillPolicySystems(raw.policySystems as Loose) } : {}),
    namespaces: list(raw.namespaces, 'facts.namespaces').map((n) => ({ labels: {}, ...n })),
    systemDaemonSets: list(raw.systemDaemonSets, 'facts.systemDaemonSets').map((d) => ({ labels: {}, images: [], ...d })),
    systemPods: list(raw.systemPods, 'facts.systemPods').map((p, i) => fillPod(p, `facts.systemPods[${i}]`)),
    ...(dns
      ? {
          dns: {
            ...(dns.service ? { service: fillService(dns.service as Loose, 'facts.dns.service') } : {}),
            endpointSlices: list(dns.endpointSlices, 'facts.dns.endpointSlices').map((s, i) => fillSlice(s, `facts.dns.endpointSlices[${i}]`)),
            ...(dns.corefile !== undefined ? { corefile: dns.corefile } : {}),
          },
        }
      : {}),
    probes: {
      enabled: true,
      ...probes,
      tcp: list(probes.tcp, 'facts.probes.tcp').map((p) => ({ protocol: 'TCP', ms: 1, ...p })),
      dns: list(probes.dns, 'facts.probes.dns').map((p) => ({ type: 'A', ms: 1, ...p })),
    },
    ...(raw.events !== undefined
      ? (() => {
          const events = raw.events as Loose;
          return { events: { ...events, items: list(events.items, 'facts.events.items').map((e, i) => fillEvent(e, `facts.events.items[${i}]`)) } };
        })()
      : {}),
    nodeAgents: list(raw.nodeAgents, 'facts.nodeAgents').map((a, i) => fillAgent(a, `facts.nodeAgents[${i}]`, collectedAt)),
    accessErrors: list(raw.accessErrors, 'facts.accessErrors'),
    ...(raw.apiRequests !== undefined ? { apiRequests: raw.apiRequests } : {}),
    ...(raw.readScope !== undefined ? { readScope: raw.readScope } : {}),
  };
  return facts as unknown as Facts;
}

/** Parses one fixture; any problem is thrown as an Error naming the file and the field. */
export function loadScenario(path: string): Scenario {
  const file = basename(path);
  try {
    const parsed = scenarioSchema.safeParse(parse(readFileSync(path, 'utf8')));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '<root>'}: ${i.message}`).join('; ');
      throw new FixtureError(issues);
    }
    const { description, target, facts, expect } = parsed.data;
    return { file, description, facts: buildFacts(target, facts as Loose), expect };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`scenario ${file}: ${message}`, { cause: err });
  }
}
