import { describe, expect, it } from '@jest/globals';
import { runChecks } from '../../lib/checks/index.js';
import type { Finding } from '../../lib/model/index.js';
import { buildFacts } from '../scenarios/load.js';

const target = { kind: 'dns' as const, namespace: 'shop', cluster: 'test' };
const kubeDns = { name: 'kube-dns', namespace: 'kube-system', clusterIP: '10.96.0.10', selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] };
const readySlice = { name: 'kube-dns-a', namespace: 'kube-system', serviceName: 'kube-dns', endpoints: [{ addresses: ['10.244.1.2'], ready: true }] };

function corednsPod(name: string, ready: boolean, extra: Record<string, unknown> = {}) {
  return {
    name,
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    nodeName: 'node-1',
    phase: 'Running',
    ready,
    containers: [{ name: 'coredns', ready, state: ready ? 'running' : 'waiting', reason: ready ? undefined : 'CrashLoopBackOff', restartCount: ready ? 0 : 6 }],
    ...extra,
  };
}

function clusterDns(raw: Record<string, unknown>): Finding {
  const findings = runChecks(buildFacts(target, raw), { codes: ['cluster-dns-down'] });
  expect(findings).toHaveLength(1);
  return findings[0] as Finding;
}

const resolves = { name: 'kubernetes.default.svc.cluster.local', purpose: 'kubernetes-default', outcome: 'resolved', addresses: ['10.96.0.1'] };
const timesOut = { name: 'kubernetes.default.svc.cluster.local', purpose: 'kubernetes-default', outcome: 'timeout', server: '10.96.0.10' };

describe('cluster-dns-down', () => {
  it('skips when DNS is not in scope', () => {
    expect(clusterDns({}).status).toBe('skip');
  });

  it('passes when CoreDNS is ready and kubernetes.default resolves', () => {
    const f = clusterDns({ dns: { service: kubeDns, endpointSlices: [readySlice] }, systemPods: [corednsPod('coredns-a', true)], probes: { dns: [resolves] } });
    expect(f.status).toBe('pass');
    expect(f.detail).toBe('1 CoreDNS pod ready; kubernetes.default resolves');
  });

  it('warns when only some CoreDNS pods are down', () => {
    const f = clusterDns({
      dns: { service: kubeDns, endpointSlices: [readySlice] },
      systemPods: [corednsPod('coredns-a', true), corednsPod('coredns-b', false)],
      probes: { dns: [resolves] },
    });
    expect(f.status).toBe('warn');
    expect(f.detail).toContain('1 of 2 CoreDNS pods are not ready (coredns-b on node-1: CrashLoopBackOff');
  });

  it('fails without probes when no CoreDNS pod is ready', () => {
    const f = clusterDns({
      dns: { service: kubeDns, endpointSlices: [] },
      systemPods: [corednsPod('coredns-a', false)],
      probes: { enabled: false, skipReason: '--no-probes' },
    });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('the only CoreDNS pod is not ready (coredns-a on node-1: CrashLoopBackOff');
    expect(f.remediation).toBe('kubectl -n kube-system logs coredns-a -c coredns --previous');
  });

  it('names the missing kube-dns Service', () => {
    const f = clusterDns({ dns: { endpointSlices: [] }, systemPods: [corednsPod('coredns-a', true)], probes: { dns: [timesOut] } });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('the kube-dns Service is missing from kube-system');
  });

  it('blames the path when every DNS component looks healthy but nothing resolves', () => {
    const f = clusterDns({ dns: { service: kubeDns, endpointSlices: [readySlice] }, systemPods: [corednsPod('coredns-a', true)], probes: { dns: [timesOut] } });
    expect(f.status).toBe('fail');
    expect(f.detail).toContain('look healthy, so the path from the probe source to DNS is blocked');
    expect(f.remediation).toContain('kubectl get networkpolicy -A');
  });
});
