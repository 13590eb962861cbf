import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import check from '../../lib/checks/calico-host-endpoint-denies.js';
import { hostEndpointsOf, judgeHostFlow, type HostFlow, type HostPolicyContext } from '../../lib/checks/lib/policy/host-endpoints.js';
import { loadScenario } from '../scenarios/load.js';
import type { CalicoHostEndpointFact, CalicoPolicyFact, NodeFact, PolicySystemsFact } from '../../lib/model/index.js';
import { withContext } from '../support/with-context.js';

// Calico's host-endpoint rules one at a time: failsafe ports, profiles, pre-DNAT without a
// default deny, forwarded traffic allowed until applyOnForward policy selects the endpoint, and
// "unknown" wherever netcheck cannot evaluate what decides.

const HEP: CalicoHostEndpointFact = {
  group: 'projectcalico.org',
  name: 'node-1-eth0',
  labels: { role: 'edge' },
  node: 'node-1',
  interfaceName: 'eth0',
  expectedIPs: ['172.18.0.2'],
};
const NODE: NodeFact = { name: 'node-1', labels: {}, ready: true, networkUnavailable: false, internalIP: '172.18.0.2', podCIDRs: [], unschedulable: false, taints: [] };

function gnp(name: string, spec: Partial<CalicoPolicyFact>): CalicoPolicyFact {
  return { kind: 'GlobalNetworkPolicy', group: 'projectcalico.org', name, tier: 'default', types: ['Ingress'], ingress: [], egress: [], selector: "role == 'edge'", ...spec };
}

function ctx(calico: CalicoPolicyFact[], extra: Partial<PolicySystemsFact> = {}): HostPolicyContext {
  return { systems: { apis: [], calicoTiers: [], calico, cilium: [], admin: [], calicoHostEndpoints: [HEP], ...extra }, namespaceLabels: () => ({}) };
}

const client = { ip: '10.244.3.5', labels: { app: 'netcheck', 'projectcalico.org/namespace': 'netcheck' }, namespace: 'netcheck', description: 'worker pod' };
const host = { ip: '172.18.0.2', labels: HEP.labels, description: 'host node-1' };
const pod = { ip: '10.244.1.9', labels: { app: 'web', 'projectcalico.org/namespace': 'shop' }, namespace: 'shop', description: 'pod shop/web' };

function toHost(port: number, extra: Partial<HostFlow> = {}): HostFlow {
  return { node: 'node-1', hostEndpoint: HEP, direction: 'Ingress', path: 'local', protocol: 'TCP', source: client, destination: host, port, ...extra };
}

function nodePort(extra: Partial<HostFlow> = {}): HostFlow {
  return { ...toHost(8080), path: 'forward', destination: pod, original: { destination: host, port: 30080 }, ...extra };
}

describe('judgeHostFlow', () => {
  it('denies a host process by default, except on failsafe ports and behind projectcalico-default-allow', () => {
    const denied = judgeHostFlow(toHost(9100), ctx([]));
    expect(denied).toMatchObject({ outcome: 'denied', noPolicy: true });
    expect(judgeHostFlow(toHost(22), ctx([])).outcome).toBe('allowed');
    expect(judgeHostFlow(toHost(53, { direction: 'Egress', protocol: 'UDP', source: host, destination: pod }), ctx([])).outcome).toBe('allowed');
    // Egress failsafe is UDP 53, not TCP 53.
    expect(judgeHostFlow(toHost(53, { direction: 'Egress', source: host, destination: pod }), ctx([])).outcome).toBe('denied');
    const profiled = { ...HEP, profiles: ['projectcalico-default-allow'] };
    expect(judgeHostFlow(toHost(9100, { hostEndpoint: profiled }), ctx([])).outcome).toBe('allowed');
    const other = judgeHostFlow(toHost(9100, { hostEndpoint: { ...HEP, profiles: ['custom'] } }), ctx([]));
    expect(other).toMatchObject({ outcome: 'unknown' });
  });

  it('lets a policy selecting the host endpoint allow, deny, or end its tier', () => {
    const allow = gnp('allow-metrics', { ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [9100] } }] });
    expect(judgeHostFlow(toHost(9100), ctx([allow]))).toMatchObject({ outcome: 'allowed', policy: { name: 'allow-metrics', rule: 'ingress[0]' } });
    const endOfTier = judgeHostFlow(toHost(9200), ctx([allow]));
    expect(endOfTier).toMatchObject({ outcome: 'denied', endOfTier: [{ name: 'allow-metrics' }] });
    const deny = gnp('deny-first', { order: 1, ingress: [{ action: 'Deny', source: { nets: ['10.244.0.0/16'] } }] });
    expect(judgeHostFlow(toHost(9100), ctx([allow, deny]))).toMatchObject({ outcome: 'denied', policy: { name: 'deny-first', rule: 'ingress[0]' } });
    // A policy selecting other host endpoints, or with a namespaceSelector (pods only), does not count.
    const elsewhere = gnp('elsewhere', { selector: "role == 'db'", ingress: [{ action: 'Allow' }] });
    const podsOnly = gnp('pods-only', { namespaceSelector: 'all()', ingress: [{ action: 'Allow' }] });
    expect(judgeHostFlow(toHost(9100), ctx([elsewhere, podsOnly]))).toMatchObject({ outcome: 'denied', noPolicy: true });
  });

  it('passes to the next tier and honours a tier whose default action is Pass', () => {
    const pass = gnp('security-pass', { tier: 'security', ingress: [{ action: 'Pass' }] });
    const allow = gnp('allow-metrics', { ingress: [{ action: 'Allow', destination: { ports: [9100] } }] });
    const tiers = [{ name: 'security', order: 10 }];
    expect(judgeHostFlow(toHost(9100), ctx([pass, allow], { calicoTiers: tiers }))).toMatchObject({ outcome: 'allowed', policy: { name: 'allow-metrics' } });
    const silent = gnp('security-silent', { tier: 'security', ingress: [{ action: 'Allow', destination: { ports: [1] } }] });
    expect(judgeHostFlow(toHost(9100), ctx([silent, allow], { calicoTiers: tiers })).outcome).toBe('denied');
    expect(judgeHostFlow(toHost(9100), ctx([silent, allow], { calicoTiers: [{ name: 'security', order: 10, defaultAction: 'Pass' }] })).outcome).toBe('allowed');
  });

  it('applies pre-DNAT policy to the NodePort without a default deny, and forward policy only with applyOnForward', () => {
    expect(judgeHostFlow(nodePort(), ctx([]))).toMatchObject({ outcome: 'allowed' });
    const preAllowOther = gnp('pre-allow-ssh', { preDNAT: true, applyOnForward: true, hostOnly: true, ingress: [{ action: 'Allow', destination: { ports: [22] } }] });
    expect(judgeHostFlow(nodePort(), ctx([preAllowOther])).outcome).toBe('allowed');
    const preDeny = gnp('pre-deny-nodeports', { preDNAT: true, applyOnForward: true, hostOnly: true, ingress: [{ action: 'Deny', destination: { ports: ['30000:32767'] } }] });
    expect(judgeHostFlow(nodePort(), ctx([preDeny]))).toMatchObject({ outcome: 'denied', policy: { name: 'pre-deny-nodeports' } });
    // A normal policy without applyOnForward never sees forwarded traffic.
    const localOnly = gnp('host-only', { ingress: [{ action: 'Allow', destination: { ports: [22] } }] });
    expect(judgeHostFlow(nodePort(), ctx([localOnly])).outcome).toBe('allowed');
    const forward = { ...localOnly, name: 'host-firewall', applyOnForward: true };
    const verdict = judgeHostFlow(nodePort(), ctx([forward]));
    withContext(verdict.reason, () => expect(verdict).toMatchObject({ outcome: 'denied', endOfTier: [{ name: 'host-firewall' }] }));
    // The forward policy sees the pod's port after DNAT, not the NodePort.
    const allowsPodPort = { ...forward, ingress: [{ action: 'Allow' as const, destination: { ports: [8080] } }] };
    expect(judgeHostFlow(nodePort(), ctx([allowsPodPort])).outcome).toBe('allowed');
  });

  it('says unknown instead of guessing: untracked policy, a client it cannot place, an unparsable selector, a named port', () => {
    const untracked = gnp('raw', { doNotTrack: true, applyOnForward: true, hostOnly: true, ingress: [{ action: 'Allow' }] });
    expect(judgeHostFlow(toHost(9100), ctx([untracked])).outcome).toBe('unknown');
    const fromNets = gnp('from-office', { ingress: [{ action: 'Allow', source: { nets: ['192.0.2.0/24'] } }] });
    const nobody = { description: 'a client netcheck cannot place' };
    expect(judgeHostFlow(toHost(9100, { source: nobody }), ctx([fromNets])).outcome).toBe('unknown');
    expect(judgeHostFlow(toHost(9100), ctx([fromNets])).outcome).toBe('denied');
    expect(judgeHostFlow(toHost(9100), ctx([gnp('broken', { selector: "role == 'edge" })])).outcome).toBe('unknown');
    expect(judgeHostFlow(toHost(9100), ctx([gnp('named', { ingress: [{ action: 'Allow', destination: { ports: ['metrics'] } }] })])).outcome).toBe('unknown');
  });
});

describe('hostEndpointsOf', () => {
  const systems = (heps: CalicoHostEndpointFact[]): PolicySystemsFact => ({ apis: [], calicoTiers: [], calico: [], cilium: [], admin: [], calicoHostEndpoints: heps });

  it('covers a node by "*", by its InternalIP, or by the interface its agent reports as the uplink', () => {
    const all = { ...HEP, name: 'all', interfaceName: '*' };
    const byIp = { ...HEP, name: 'by-ip', interfaceName: undefined } as CalicoHostEndpointFact;
    const byName = { ...HEP, name: 'by-name', expectedIPs: undefined } as CalicoHostEndpointFact;
    const otherNode = { ...HEP, name: 'other', node: 'node-2', interfaceName: '*' };
    expect(hostEndpointsOf(systems([all, byIp, otherNode]), NODE, undefined).covering.map((h) => h.name)).toEqual(['all', 'by-ip']);
    expect(hostEndpointsOf(systems([byName]), NODE, 'eth0').covering.map((h) => h.name)).toEqual(['by-name']);
    expect(hostEndpointsOf(systems([byName]), NODE, 'ens5').covering).toEqual([]);
    const unknown = hostEndpointsOf(systems([byName]), NODE, undefined);
    expect(unknown.covering).toEqual([]);
    expect(unknown.unknown[0]?.reason).toContain('no agent said which interface');
  });
});

describe('calico-host-endpoint-denies without the facts it needs', () => {
  const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios', 'calico-host-endpoint-denies--hostnetwork-backend-no-policy.yaml');

  it("is unknown when the nodes, a backend's node or the HostEndpoints could not be read, never a pass", () => {
    const { facts } = loadScenario(fixture);
    const noNodes = check.run({ ...facts, nodes: [], accessErrors: [{ verb: 'list', resource: 'nodes', status: 403, message: 'forbidden' }] })[0];
    expect(noNodes?.status).toBe('skip');
    const missingNode = check.run({ ...facts, nodes: facts.nodes.filter((n) => n.name !== 'node-2') })[0];
    expect(missingNode?.status).toBe('skip');
    expect(missingNode?.detail).toContain('node node-2 is not among the nodes read');
    const systems = facts.policySystems!;
    const unread = check.run({
      ...facts,
      policySystems: {
        ...systems,
        calicoHostEndpoints: undefined,
        calicoHostEndpointsUnknown: 'unknown, because hostendpoints.projectcalico.org could not be listed (403 forbidden)',
      },
    })[0];
    expect(unread?.status).toBe('skip');
    expect(unread?.detail).toContain('could not be listed');
  });
});
