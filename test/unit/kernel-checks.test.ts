import { describe, expect, it } from '@jest/globals';
import type { DaemonSetFact, Facts, Finding, NodeAgentFact, NodeKernelFacts, Target } from '../../lib/model/index.js';
import type { Check } from '../../lib/checks/types.js';
import bridgeNf from '../../lib/checks/bridge-nf-call-iptables-disabled.js';
import conntrack from '../../lib/checks/conntrack-table-full.js';
import conntrackUnreplied from '../../lib/checks/conntrack-unreplied.js';
import ipForward from '../../lib/checks/ip-forward-disabled.js';
import mtu from '../../lib/checks/mtu-mismatch.js';
import agentUnreachable from '../../lib/checks/node-agent-unreachable.js';
import podCidrRoute from '../../lib/checks/pod-cidr-route-missing.js';
import rpFilter from '../../lib/checks/rp-filter-strict.js';
import { withContext } from '../support/with-context.js';

function kernel(partial: Partial<NodeKernelFacts> = {}): NodeKernelFacts {
  return {
    ipForward: true,
    ipv6Forward: null,
    bridgeNetfilterLoaded: true,
    bridgeNfCallIptables: true,
    bridgeNfCallIp6tables: null,
    conntrack: { count: 100, max: 131072 },
    rpFilter: { all: 0, default: 0, interfaces: {} },
    interfaces: [],
    routes: [],
    unknown: {},
    readAt: '2026-11-26T07:00:00.000Z',
    ...partial,
  };
}

function ds(name: string, labels: Record<string, string>, images: string[]): DaemonSetFact {
  return { namespace: 'kube-system', name, labels, selector: labels, desired: 2, ready: 2, available: 2, images };
}

/** Three nodes; the target is node-2 unless said otherwise, so node-2 is "on the path". */
function facts(agents: NodeAgentFact[], extra: Partial<Facts> = {}, target: Target = { kind: 'node', name: 'node-2', cluster: 'test' }): Facts {
  return {
    target,
    collectedAt: '2026-11-26T07:00:00.000Z',
    services: [],
    sameNameElsewhere: [],
    pods: [],
    endpointSlices: [],
    nodes: ['node-1', 'node-2', 'node-3'].map((name, i) => ({
      name,
      labels: {},
      ready: true,
      networkUnavailable: null,
      podCIDRs: [`10.244.${i + 1}.0/24`],
      unschedulable: false,
      taints: [],
    })),
    networkPolicies: [],
    namespaces: [],
    systemDaemonSets: [],
    systemPods: [],
    probes: { enabled: false, tcp: [], dns: [] },
    nodeAgents: agents,
    accessErrors: [],
    ...extra,
  };
}

const ok = (node: string, partial: Partial<NodeKernelFacts> = {}): NodeAgentFact => ({ node, status: 'ok', facts: kernel(partial) });

function only(check: Check, f: Facts): Finding {
  const findings = check.run(f);
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

describe('kernel checks: unknown is never a pass', () => {
  it('no agent at all: every kernel check skips and says why', () => {
    for (const check of [ipForward, bridgeNf, conntrack, rpFilter, mtu]) {
      const result = only(check, facts([]));
      withContext(check.code, () => expect(result.status).toBe('skip'));
      withContext(check.code, () => expect(result.detail).toContain('no node agent reported'));
    }
  });

  it('an agent that did not answer makes that node unknown', () => {
    const result = only(ipForward, facts([ok('node-1'), { node: 'node-2', status: 'timeout', detail: 'no answer within 2000 ms' }]));
    expect(result.status).toBe('skip');
    expect(result.detail).toBe('unknown, because the agent on node-2 did not answer (no answer within 2000 ms)');
    const agent = only(agentUnreachable, facts([ok('node-1'), { node: 'node-2', status: 'timeout' }]));
    expect(agent.status).toBe('warn');
    expect(agent.subjects).toEqual([{ kind: 'node', name: 'node-2' }]);
  });

  it('agents not deployed anywhere: one reason, no per-node list', () => {
    const agents: NodeAgentFact[] = ['node-1', 'node-2'].map((node) => ({ node, status: 'not-deployed', detail: 'no agent token configured' }));
    expect(only(ipForward, facts(agents))).toMatchObject({ status: 'skip', detail: 'unknown, because no node agent is deployed (no agent token configured)' });
    expect(only(agentUnreachable, facts(agents)).status).toBe('skip');
  });

  it('a cluster sweep with many silent agents lists a few reasons and counts the rest', () => {
    const nodes = Array.from({ length: 8 }, (_, i) => `node-${i + 1}`);
    const f = facts(
      nodes.map((node) => ({ node, status: 'timeout' })),
      { nodes: nodes.map((name) => ({ name, labels: {}, ready: true, networkUnavailable: null, podCIDRs: [], unschedulable: false, taints: [] })) },
      { kind: 'cluster', cluster: 'test' },
    );
    const result = only(conntrack, f);
    expect(result.status).toBe('skip');
    expect(result.detail).toMatch(/did not answer; and 3 more nodes$/);
  });

  it('a fact the agent could not read carries the agent reason', () => {
    const reason = 'unknown, because /proc/sys/net/ipv4/ip_forward is not readable';
    const result = only(ipForward, facts([ok('node-2', { ipForward: null, unknown: { ipForward: reason } })]));
    expect(result).toMatchObject({ status: 'skip', detail: reason });
  });

  it('a problem elsewhere is still reported when the path node is unknown', () => {
    const result = only(ipForward, facts([ok('node-1', { ipForward: false }), { node: 'node-2', status: 'unreachable' }]));
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('not on this');
    expect(result.detail).toContain('the agent on node-2 did not answer');
  });
});

describe('ip-forward-disabled', () => {
  it('fails for the path node and mentions the other node without failing for it', () => {
    const result = only(ipForward, facts([ok('node-1', { ipForward: false }), ok('node-2', { ipForward: false }), ok('node-3')]));
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/^IP forwarding is off on node-2: .*Elsewhere \(not on this path\): IP forwarding is off on node-1/);
    expect(result.evidence).toEqual(['sysctl net.ipv4.ip_forward = 0 on node-2', 'sysctl net.ipv4.ip_forward = 0 on node-1']);
    expect(result.remediation).toContain("echo 'net.ipv4.ip_forward = 1' | tee -a /etc/sysctl.d/99-kubernetes.conf");
  });

  it('only explains symptoms on the node where forwarding is off', () => {
    const f = facts([ok('node-1', { ipForward: false }), ok('node-2', { ipForward: false })], {}, { kind: 'cluster', cluster: 'test' });
    const cause = only(ipForward, f);
    const symptom = (node: string): Finding => ({
      id: `endpoint-timeout@${node}`,
      code: 'endpoint-timeout',
      layer: 'dataplane',
      status: 'fail',
      title: '',
      detail: '',
      evidence: [],
      remediation: '',
      docs: '',
      subjects: [{ kind: 'node', name: node }],
    });
    expect(ipForward.explainsFinding?.(cause, symptom('node-2'), f)).toBe(true);
    expect(ipForward.explainsFinding?.(cause, symptom('node-3'), f)).toBe(false);
  });
});

describe('bridge-nf-call-iptables-disabled', () => {
  it('flags br_netfilter not loaded', () => {
    const result = only(bridgeNf, facts([ok('node-2', { bridgeNetfilterLoaded: false, bridgeNfCallIptables: null })]));
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('node-2 (br_netfilter not loaded)');
    expect(result.remediation).toContain('modprobe br_netfilter');
    expect(result.remediation).toContain('/etc/modules-load.d/k8s.conf');
  });

  it('matters only where pods sit on a Linux bridge', () => {
    const agents = [ok('node-2', { bridgeNfCallIptables: false })];
    const kubeProxy = ds('kube-proxy', { 'k8s-app': 'kube-proxy' }, ['registry.k8s.io/kube-proxy:v1.31.2']);
    const cilium = ds('cilium', { 'k8s-app': 'cilium' }, ['quay.io/cilium/cilium:v1.16.3']);
    const calico = ds('calico-node', { 'k8s-app': 'calico-node' }, ['docker.io/calico/node:v3.28.2']);
    const flannel = ds('kube-flannel-ds', { app: 'flannel' }, ['docker.io/flannel/flannel:v0.26.1']);
    const canal = ds('canal', { 'k8s-app': 'canal' }, ['docker.io/calico/node:v3.28.2', 'quay.io/coreos/flannel:v0.15.1']);
    const status = (sets: DaemonSetFact[]) => only(bridgeNf, facts(agents, { systemDaemonSets: sets })).status;
    expect(only(bridgeNf, facts(agents, { systemDaemonSets: [cilium] })).detail).toContain('Cilium replaces kube-proxy');
    expect(status([cilium, kubeProxy])).toBe('pass');
    expect(status([calico, kubeProxy])).toBe('pass');
    expect(status([flannel, kubeProxy])).toBe('fail');
    expect(status([canal, kubeProxy])).toBe('fail');
    expect(status([kubeProxy])).toBe('fail');
  });
});

describe('conntrack-table-full', () => {
  const at = (count: number, max = 1000) => only(conntrack, facts([ok('node-2', { conntrack: { count, max } })]));
  it('passes below 90 %, warns from 90 %, fails when full', () => {
    expect(at(899).status).toBe('pass');
    expect(at(900).status).toBe('warn');
    expect(at(1000).status).toBe('fail');
    expect(at(1000).remediation).toContain('nf_conntrack_max=2000');
  });
  it('an unreadable maximum is unknown', () => {
    expect(at(10, 0).status).toBe('skip');
    const reason = 'unknown, because nf_conntrack_max is not readable inside a network namespace';
    expect(only(conntrack, facts([ok('node-2', { conntrack: null, unknown: { conntrack: reason } })])).detail).toBe(reason);
  });
});

describe('rp-filter-strict', () => {
  it('passes on Calico, which wants strict RPF on its workload interfaces', () => {
    const calico = ds('calico-node', { 'k8s-app': 'calico-node' }, ['docker.io/calico/node:v3.28.2']);
    const strict = ok('node-2', { interfaces: [{ name: 'cali1', mtu: 1450, kind: 'cni' }], rpFilter: { all: 1, default: 1, interfaces: { cali1: 1 } } });
    expect(only(rpFilter, facts([strict], { systemDaemonSets: [calico] })).status).toBe('pass');
    expect(only(rpFilter, facts([strict])).status).toBe('warn');
  });

  const cni = [
    { name: 'eth0', mtu: 1500, kind: 'primary' as const },
    { name: 'flannel.1', mtu: 1450, kind: 'cni' as const },
  ];
  const run = (all: number, iface: number) => only(rpFilter, facts([ok('node-2', { interfaces: cni, rpFilter: { all, default: 0, interfaces: { 'flannel.1': iface } } })]));
  it('uses the higher of conf/all and conf/<iface>', () => {
    expect(run(0, 0).status).toBe('pass');
    expect(run(2, 1).status).toBe('pass');
    expect(run(1, 0).status).toBe('warn');
    expect(run(0, 1).status).toBe('warn');
  });
  it('an interface whose value was not read is unknown', () => {
    expect(only(rpFilter, facts([ok('node-2', { interfaces: cni, rpFilter: { all: 0, default: 0, interfaces: {} } })])).status).toBe('skip');
  });
});

describe('mtu-mismatch', () => {
  const run = (name: string, overlayMtu: number, primaryMtu = 1500) =>
    only(
      mtu,
      facts([
        ok('node-2', {
          interfaces: [
            { name: 'ens5', mtu: primaryMtu, kind: 'primary' },
            { name, mtu: overlayMtu, kind: 'cni' },
          ],
        }),
      ]),
    );
  it('accounts for each encapsulation overhead', () => {
    expect(run('flannel.1', 1450).status).toBe('pass');
    expect(run('flannel.1', 1451).status).toBe('warn');
    expect(run('tunl0', 1480).status).toBe('pass');
    expect(run('tunl0', 1500).status).toBe('warn');
    expect(run('cilium_geneve', 8951, 9001).status).toBe('pass');
    expect(run('flannel-wg', 1440).status).toBe('pass');
    expect(run('vxlan.calico', 1500).detail).toContain('vxlan.calico 1500 + 50 (VXLAN) > ens5 1500');
  });
  it('no overlay interface is nothing to compare', () => {
    expect(run('cni0', 1500).status).toBe('pass');
  });
});

describe('pod-cidr-route-missing', () => {
  const flannel = ds('kube-flannel-ds', { app: 'flannel' }, ['docker.io/flannel/flannel:v0.26.1']);
  const run = (routes: NodeKernelFacts['routes'], sets = [flannel]) => only(podCidrRoute, facts([ok('node-2', { routes })], { systemDaemonSets: sets }));
  it('a default route does not count as a route to a pod CIDR', () => {
    const result = run([
      { destination: 'default', gateway: '172.18.0.1' },
      { destination: '0.0.0.0/0', gateway: '172.18.0.1' },
      { destination: '10.244.2.0/24', device: 'cni0' },
    ]);
    expect(result.status).toBe('fail');
    expect(result.detail).toContain('node-2: no route to 10.244.1.0/24 (node-1), 10.244.3.0/24 (node-3)');
  });
  it('a wider route covering the cluster CIDR counts', () => {
    expect(run([{ destination: '10.244.0.0/16', device: 'flannel.1' }]).status).toBe('pass');
  });
  it('is not applicable to Calico, whose pods do not live in spec.podCIDR', () => {
    const calico = ds('calico-node', { 'k8s-app': 'calico-node' }, ['docker.io/calico/node:v3.28.2']);
    const result = run([], [calico]);
    expect(result.status).toBe('skip');
    expect(result.detail).toContain('Calico');
  });
});

describe('conntrack-unreplied', () => {
  // kube-dns serves 53 over UDP and over TCP: one ip:port, two conntrack keys.
  const dnsFacts = (agents: NodeAgentFact[]) =>
    facts(
      agents,
      {
        dns: {
          service: {
            namespace: 'kube-system',
            name: 'kube-dns',
            type: 'ClusterIP',
            clusterIP: '10.96.0.10',
            selector: { 'k8s-app': 'kube-dns' },
            ports: [
              { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
              { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
            ],
          },
          endpointSlices: [
            {
              namespace: 'kube-system',
              name: 'kube-dns-a',
              serviceName: 'kube-dns',
              addressType: 'IPv4',
              ports: [
                { name: 'dns', port: 53, protocol: 'UDP' },
                { name: 'dns-tcp', port: 53, protocol: 'TCP' },
              ],
              endpoints: [{ addresses: ['10.244.2.5'], ready: true, serving: true, terminating: false, nodeName: 'node-2' }],
              source: 'endpointslice',
            },
          ],
        },
      },
      { kind: 'dns', namespace: 'shop', cluster: 'test' },
    );

  it('names the protocol of each address it could not read, so UDP and TCP do not read as one line twice', () => {
    const result = only(conntrackUnreplied, dnsFacts([ok('node-2')]));
    expect(result.status).toBe('skip');
    const reasons = result.detail.split('; ');
    expect(reasons).toEqual(expect.arrayContaining([expect.stringContaining('10.96.0.10:53/UDP'), expect.stringContaining('10.96.0.10:53/TCP')]));
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
