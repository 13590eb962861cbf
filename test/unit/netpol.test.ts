import { describe, expect, it } from '@jest/globals';
import { ipInCidr, type NamespaceFact, type NetworkPolicyFact, type PodFact } from '../../lib/model/index.js';
import { type Connection, type Endpoint, effectivePolicyTypes, evaluateConnection, explainDenial, podEndpoint } from '../../lib/checks/lib/netpol.js';

const namespaces: NamespaceFact[] = [
  { name: 'shop', labels: { team: 'payments' } },
  { name: 'monitoring', labels: { team: 'sre', purpose: 'observability' } },
  { name: 'netcheck', labels: {} },
];

function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ip: string,
  ports: { name?: string; containerPort: number; protocol?: 'TCP' | 'UDP' }[] = [],
): PodFact {
  return {
    namespace,
    name,
    labels,
    podIP: ip,
    nodeName: 'node-1',
    phase: 'Running',
    ready: true,
    conditions: [],
    containers: [{ name: 'app', ready: true, restartCount: 0, state: 'running', ports: ports.map((p) => ({ protocol: 'TCP', ...p })) }],
  };
}

const payments = pod('shop', 'payments-7d9f8b6c5-x2kqp', { app: 'payments', tier: 'backend' }, '10.244.1.12', [
  { name: 'http', containerPort: 8080 },
  { name: 'metrics', containerPort: 9090 },
  { name: 'dns', containerPort: 5353, protocol: 'UDP' },
]);
const frontend = podEndpoint(pod('shop', 'web-5f6b7c8d9-abcde', { app: 'web', tier: 'frontend' }, '10.244.2.7'));
const prometheus = podEndpoint(pod('monitoring', 'prometheus-0', { app: 'prometheus' }, '10.244.3.4'));
const netcheck = podEndpoint(pod('netcheck', 'netcheck-worker-1', { app: 'netcheck' }, '10.244.2.30'));
const outside: Endpoint = { ip: '203.0.113.9', description: 'a client outside the cluster' };

function policy(partial: Partial<NetworkPolicyFact> & { name: string }): NetworkPolicyFact {
  return { namespace: 'shop', podSelector: { matchLabels: { app: 'payments' } }, policyTypes: ['Ingress'], ingress: [], egress: [], ...partial };
}

function to(source: Endpoint, port = 8080, protocol: 'TCP' | 'UDP' = 'TCP'): Connection {
  return { source, destination: podEndpoint(payments), port, protocol };
}

interface Case {
  name: string;
  policies: NetworkPolicyFact[];
  connection: Connection;
  allowed: boolean;
}

const cases: Case[] = [
  { name: 'no policies: everything is open', policies: [], connection: to(frontend), allowed: true },
  {
    name: 'a policy selecting other pods does not isolate payments',
    policies: [policy({ name: 'web-only', podSelector: { matchLabels: { app: 'web' } } })],
    connection: to(frontend),
    allowed: true,
  },
  {
    name: 'policy in another namespace does not select shop pods',
    policies: [policy({ name: 'deny', namespace: 'monitoring', podSelector: {} })],
    connection: to(frontend),
    allowed: true,
  },
  { name: 'default deny: empty podSelector, ingress []', policies: [policy({ name: 'default-deny', podSelector: {} })], connection: to(frontend), allowed: false },
  {
    name: 'egress-only policy (policyTypes Egress) does not isolate ingress',
    policies: [policy({ name: 'egress-only', podSelector: {}, policyTypes: ['Egress'] })],
    connection: to(netcheck),
    allowed: true,
  },
  {
    name: 'policies are additive: default deny plus an allow from web',
    policies: [policy({ name: 'default-deny', podSelector: {} }), policy({ name: 'allow-web', ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })],
    connection: to(frontend),
    allowed: true,
  },
  {
    name: 'podSelector-only peer means the policy namespace: prometheus (monitoring) with app=web would not match',
    policies: [policy({ name: 'allow-prometheus-label', ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'prometheus' } } }] }] })],
    connection: to(prometheus, 9090),
    allowed: false,
  },
  {
    name: 'namespaceSelector alone admits every pod of the matching namespaces',
    policies: [policy({ name: 'allow-sre', ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'sre' } } }] }] })],
    connection: to(prometheus, 9090),
    allowed: true,
  },
  {
    name: 'namespaceSelector + podSelector in one peer is AND: right namespace, wrong pod',
    policies: [
      policy({
        name: 'allow-sre-grafana',
        ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'sre' } }, podSelector: { matchLabels: { app: 'grafana' } } }] }],
      }),
    ],
    connection: to(prometheus, 9090),
    allowed: false,
  },
  {
    name: 'two separate peers are OR: the namespace peer admits even though the pod peer does not',
    policies: [
      policy({
        name: 'allow-sre-or-grafana',
        ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'sre' } } }, { podSelector: { matchLabels: { app: 'grafana' } } }] }],
      }),
    ],
    connection: to(prometheus, 9090),
    allowed: true,
  },
  {
    name: 'kubernetes.io/metadata.name is matched even when the namespace fact has no labels',
    policies: [policy({ name: 'allow-netcheck', ingress: [{ peers: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'netcheck' } } }] }] })],
    connection: to(netcheck),
    allowed: true,
  },
  {
    name: 'matchExpressions NotIn excludes the frontend tier',
    policies: [policy({ name: 'no-frontend', ingress: [{ peers: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] } }] }] })],
    connection: to(frontend),
    allowed: false,
  },
  {
    name: 'rule with peers but no ports admits every port',
    policies: [policy({ name: 'allow-web', ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })],
    connection: to(frontend, 9090),
    allowed: true,
  },
  {
    name: 'rule with ports but no peers admits everyone on that port',
    policies: [policy({ name: 'allow-8080', ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }] })],
    connection: to(outside),
    allowed: true,
  },
  {
    name: 'numeric port mismatch',
    policies: [policy({ name: 'allow-8080', ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }] })],
    connection: to(frontend, 9090),
    allowed: false,
  },
  {
    name: 'protocol must match: TCP rule does not admit UDP',
    policies: [policy({ name: 'allow-5353-tcp', ingress: [{ ports: [{ protocol: 'TCP', port: 5353 }] }] })],
    connection: to(frontend, 5353, 'UDP'),
    allowed: false,
  },
  {
    name: 'port without number admits every port of its protocol',
    policies: [policy({ name: 'allow-udp', ingress: [{ ports: [{ protocol: 'UDP' }] }] })],
    connection: to(frontend, 5353, 'UDP'),
    allowed: true,
  },
  {
    name: 'named port resolves against the backend pod: http = 8080',
    policies: [policy({ name: 'allow-http', ingress: [{ ports: [{ protocol: 'TCP', port: 'http' }] }] })],
    connection: to(frontend, 8080),
    allowed: true,
  },
  {
    name: 'named port that names another port of the pod does not admit 8080',
    policies: [policy({ name: 'allow-metrics', ingress: [{ ports: [{ protocol: 'TCP', port: 'metrics' }] }] })],
    connection: to(frontend, 8080),
    allowed: false,
  },
  {
    name: 'named port the pod does not declare admits nothing',
    policies: [policy({ name: 'allow-grpc', ingress: [{ ports: [{ protocol: 'TCP', port: 'grpc' }] }] })],
    connection: to(frontend, 8080),
    allowed: false,
  },
  {
    name: 'endPort range includes the port',
    policies: [policy({ name: 'allow-range', ingress: [{ ports: [{ protocol: 'TCP', port: 8000, endPort: 8100 }] }] })],
    connection: to(frontend, 8080),
    allowed: true,
  },
  {
    name: 'endPort range excludes a port above it',
    policies: [policy({ name: 'allow-range', ingress: [{ ports: [{ protocol: 'TCP', port: 8000, endPort: 8079 }] }] })],
    connection: to(frontend, 8080),
    allowed: false,
  },
  {
    name: 'ipBlock admits an outside client inside the CIDR',
    policies: [policy({ name: 'allow-partner', ingress: [{ peers: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }] })],
    connection: to(outside),
    allowed: true,
  },
  {
    name: 'ipBlock except carves the client out',
    policies: [policy({ name: 'allow-partner', ingress: [{ peers: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.8/29'] } }] }] })],
    connection: to(outside),
    allowed: false,
  },
  {
    name: 'selector peers never match a non-pod source',
    policies: [policy({ name: 'allow-all-namespaces', ingress: [{ peers: [{ namespaceSelector: {} }] }] })],
    connection: to(outside),
    allowed: false,
  },
  {
    name: 'empty namespaceSelector admits pods of every namespace',
    policies: [policy({ name: 'allow-all-namespaces', ingress: [{ peers: [{ namespaceSelector: {} }] }] })],
    connection: to(netcheck),
    allowed: true,
  },
  {
    name: 'policyTypes omitted with egress rules defaults to Ingress+Egress: ingress [] denies',
    policies: [policy({ name: 'implicit-types', policyTypes: [], egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }] })],
    connection: to(frontend),
    allowed: false,
  },
  {
    name: 'egress default deny on the source blocks even though ingress is open',
    policies: [policy({ name: 'web-egress-deny', podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] })],
    connection: to(frontend),
    allowed: false,
  },
  {
    name: 'egress rule to payments pods lets the source out',
    policies: [
      policy({
        name: 'web-egress',
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ peers: [{ podSelector: { matchLabels: { app: 'payments' } } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
      }),
    ],
    connection: to(frontend),
    allowed: true,
  },
  {
    name: 'egress rule names another namespace: payments in shop is not in it',
    policies: [
      policy({
        name: 'netcheck-egress',
        namespace: 'netcheck',
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'sre' } } }] }],
      }),
    ],
    connection: to(netcheck),
    allowed: false,
  },
];

describe('NetworkPolicy evaluation', () => {
  for (const c of cases) {
    it(c.name, () => {
      const outcome = evaluateConnection(c.policies, namespaces, c.connection);
      expect(outcome.allowed).toBe(c.allowed);
    });
  }

  it('names the policy and says why each rule does not admit', () => {
    const outcome = evaluateConnection(
      [policy({ name: 'allow-web', ingress: [{ peers: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 9090 }] }] })],
      namespaces,
      to(netcheck),
    );
    expect(outcome.ingress?.allowed).toBe(false);
    const [line] = explainDenial(outcome.ingress!);
    expect(line).toContain('NetworkPolicy shop/allow-web');
    expect(line).toContain('pod netcheck/netcheck-worker-1 (app=netcheck) is not among its peers');
    expect(line).toContain('8080/TCP is not among its ports');
  });

  it('says a default-deny policy denies everything', () => {
    const outcome = evaluateConnection([policy({ name: 'default-deny', podSelector: {} })], namespaces, to(frontend));
    expect(explainDenial(outcome.ingress!)).toEqual([
      'NetworkPolicy shop/default-deny (podSelector <all>, policyTypes Ingress) has no ingress rules: it denies all ingress traffic',
    ]);
  });

  it('defaults policyTypes like the API server', () => {
    expect(effectivePolicyTypes(policy({ name: 'a', policyTypes: [] }))).toEqual(['Ingress']);
    expect(effectivePolicyTypes(policy({ name: 'b', policyTypes: [], egress: [{}] }))).toEqual(['Ingress', 'Egress']);
    expect(effectivePolicyTypes(policy({ name: 'c', policyTypes: ['Egress'] }))).toEqual(['Egress']);
  });

  it('matches IPv4 and IPv6 CIDRs and rejects malformed ones', () => {
    expect(ipInCidr('10.244.1.12', '10.244.0.0/16')).toBe(true);
    expect(ipInCidr('10.245.1.12', '10.244.0.0/16')).toBe(false);
    expect(ipInCidr('fd00:10:244::5', 'fd00:10:244::/64')).toBe(true);
    expect(ipInCidr('10.244.1.12', 'fd00::/8')).toBe(false);
    expect(ipInCidr('10.244.1.12', '10.244.0.0/33')).toBe(false);
    expect(ipInCidr('10.244.1.12', 'not-a-cidr')).toBe(false);
  });
});
