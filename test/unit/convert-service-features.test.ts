import { describe, expect, it } from '@jest/globals';
import { toEndpointSliceFact, toPodFact, toServiceFact } from '../../lib/kube/convert.js';

describe('converting the Service features that silently drop traffic', () => {
  it('keeps sessionAffinity ClientIP, ipFamilies and ipFamilyPolicy; None and junk are dropped', () => {
    const svc = toServiceFact({
      metadata: { name: 'a', namespace: 'shop' },
      spec: { sessionAffinity: 'ClientIP', ipFamilies: ['IPv6', 'IPv4', 'IPX'], ipFamilyPolicy: 'RequireDualStack', internalTrafficPolicy: 'Local' },
    });
    expect(svc).toMatchObject({ sessionAffinity: 'ClientIP', ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack', internalTrafficPolicy: 'Local' });
    const plain = toServiceFact({ metadata: { name: 'b', namespace: 'shop' }, spec: { sessionAffinity: 'None', ipFamilyPolicy: 'Sometimes' } });
    expect(plain.sessionAffinity).toBeUndefined();
    expect(plain.ipFamilyPolicy).toBeUndefined();
    expect(plain.ipFamilies).toBeUndefined();
  });

  it("keeps a dual-stack pod's addresses and a container's last termination message, nothing for single-stack pods", () => {
    const pod = toPodFact({
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers: [{ name: 'c' }] },
      status: {
        podIP: '10.244.1.2',
        podIPs: [{ ip: '10.244.1.2' }, { ip: 'fd00::2' }],
        containerStatuses: [{ name: 'c', lastState: { terminated: { reason: 'Error', message: '[FATAL] plugin/loop: Loop (127.0.0.1:1 -> :53) detected' } } }],
      },
    });
    expect(pod.podIPs).toEqual(['10.244.1.2', 'fd00::2']);
    expect(pod.containers[0]?.lastTerminationMessage).toContain('plugin/loop');
    const single = toPodFact({ metadata: { name: 'q', namespace: 'shop' }, spec: {}, status: { podIP: '10.244.1.3', podIPs: [{ ip: '10.244.1.3' }] } });
    expect(single.podIPs).toBeUndefined();
  });

  it('keeps what topology-aware routing is asked for and the zone hints endpoints carry', () => {
    const svc = toServiceFact({
      metadata: { name: 'a', namespace: 'shop', annotations: { 'service.kubernetes.io/topology-mode': 'Auto' } },
      spec: { trafficDistribution: 'PreferClose' },
    });
    expect(svc).toMatchObject({ topologyMode: 'Auto', trafficDistribution: 'PreferClose' });
    const legacy = toServiceFact({ metadata: { name: 'b', namespace: 'shop', annotations: { 'service.kubernetes.io/topology-aware-hints': 'auto' } }, spec: {} });
    expect(legacy.topologyMode).toBe('auto');
    const slice = toEndpointSliceFact({
      metadata: { name: 's', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'a' } },
      endpoints: [{ addresses: ['10.0.0.1'], hints: { forZones: [{ name: 'eu-west-1a' }] } }, { addresses: ['10.0.0.2'] }],
    });
    expect(slice.endpoints.map((e) => e.hintZones)).toEqual([['eu-west-1a'], undefined]);
  });
});
