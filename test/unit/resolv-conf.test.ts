import { describe, expect, it } from '@jest/globals';
import { isExternalName, podResolvConf, searchCandidates } from '../../lib/scope/resolv-conf.js';

// The kubelet's resolv.conf for a pod, from its spec, and the names a stub resolver then tries.

describe('podResolvConf', () => {
  it('ClusterFirst (the default): the namespace search list and ndots:5, the node adding its own search domains', () => {
    expect(podResolvConf({ namespace: 'shop' }, 'cluster.local')).toEqual({
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
      fromNode: 'searches-appended',
      policy: 'ClusterFirst',
    });
  });

  it('dnsConfig appends searches (once each) and overrides ndots, the last option winning', () => {
    const conf = podResolvConf(
      {
        namespace: 'shop',
        dnsConfig: {
          searches: ['corp.example.com', 'svc.cluster.local.'],
          options: [
            { name: 'ndots', value: '3' },
            { name: 'timeout', value: '1' },
            { name: 'ndots', value: '2' },
          ],
        },
      },
      'cluster.local',
    );
    expect(conf.searches).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example.com']);
    expect(conf.ndots).toBe(2);
    expect(conf.policy).toBe('ClusterFirst with dnsConfig');
  });

  it("Default, and ClusterFirst on the host network, are the node's file: unknown, not empty", () => {
    expect(podResolvConf({ namespace: 'shop', dnsPolicy: 'Default' }, 'cluster.local')).toMatchObject({ fromNode: 'whole-file', policy: 'Default' });
    expect(podResolvConf({ namespace: 'shop', hostNetwork: true }, 'cluster.local')).toMatchObject({ fromNode: 'whole-file', policy: 'Default (hostNetwork)' });
    expect(podResolvConf({ namespace: 'shop', hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }, 'cluster.local')).toMatchObject({
      ndots: 5,
      fromNode: 'searches-appended',
      policy: 'ClusterFirstWithHostNet',
    });
  });

  it('None: only what dnsConfig says, the resolver default ndots:1 otherwise', () => {
    const conf = podResolvConf({ namespace: 'shop', dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['example.com'] } }, 'cluster.local');
    expect(conf).toEqual({ searches: ['example.com'], ndots: 1, policy: 'None with dnsConfig' });
  });
});

describe('searchCandidates', () => {
  const conf = { searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 };

  it('fewer dots than ndots: every search domain first, the name itself last', () => {
    expect(searchCandidates('api.stripe.com', conf)).toEqual([
      'api.stripe.com.shop.svc.cluster.local',
      'api.stripe.com.svc.cluster.local',
      'api.stripe.com.cluster.local',
      'api.stripe.com',
    ]);
  });

  it('a trailing dot: only the name', () => {
    expect(searchCandidates('api.stripe.com.', conf)).toEqual(['api.stripe.com']);
  });

  it('at least ndots dots: the name first', () => {
    expect(searchCandidates('api.stripe.com', { ...conf, ndots: 2 })[0]).toBe('api.stripe.com');
  });
});

describe('isExternalName', () => {
  it('tells names outside the cluster from cluster names', () => {
    expect(isExternalName('api.stripe.com', 'cluster.local')).toBe(true);
    expect(isExternalName('api.stripe.com.', 'cluster.local')).toBe(true);
    expect(isExternalName('payments.shop.svc.cluster.local', 'cluster.local')).toBe(false);
    expect(isExternalName('payments.shop.svc', 'cluster.local')).toBe(false);
    expect(isExternalName('payments', 'cluster.local')).toBe(false);
    // "<service>.<namespace>" is a cluster name once the namespaces are known; absolute, it is not.
    expect(isExternalName('payments.shop', 'cluster.local', ['shop'])).toBe(false);
    expect(isExternalName('payments.shop.', 'cluster.local', ['shop'])).toBe(true);
    expect(isExternalName('example.com', 'cluster.local', ['shop'])).toBe(true);
  });
});
