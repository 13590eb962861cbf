import { describe, expect, it } from '@jest/globals';
import type { DaemonSetFact } from '../../lib/model/index.js';
import { detectCni } from '../../lib/checks/lib/cni.js';

function ds(namespace: string, name: string, labels: Record<string, string>, images: string[]): DaemonSetFact {
  return { namespace, name, labels, selector: labels, desired: 3, ready: 3, available: 3, images };
}

const kubeProxy = ds('kube-system', 'kube-proxy', { 'k8s-app': 'kube-proxy' }, ['registry.k8s.io/kube-proxy:v1.31.2']);
const flannel = ds('kube-flannel', 'kube-flannel-ds', { app: 'flannel', 'k8s-app': 'flannel' }, [
  'docker.io/flannel/flannel:v0.26.1',
  'docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2',
]);
const flannelRenamed = ds('kube-system', 'flannel', { app: 'flannel' }, ['docker.io/flannel/flannel:v0.26.1']);
const flannelByImage = ds('kube-system', 'pod-network', {}, ['quay.io/coreos/flannel:v0.15.1', 'docker.io/flannel/flannel:v0.22.0']);
const calico = ds('calico-system', 'calico-node', { 'k8s-app': 'calico-node' }, ['docker.io/calico/node:v3.28.2', 'docker.io/calico/cni:v3.28.2']);
const cilium = ds('kube-system', 'cilium', { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent' }, ['quay.io/cilium/cilium:v1.16.3@sha256:62d2a09b']);
const ciliumEnvoy = ds('kube-system', 'cilium-envoy', { 'k8s-app': 'cilium-envoy' }, ['quay.io/cilium/cilium-envoy:v1.29.9']);
const weave = ds('kube-system', 'weave-net', { name: 'weave-net' }, ['weaveworks/weave-kube:2.8.1', 'weaveworks/weave-npc:2.8.1']);
const canal = ds('kube-system', 'canal', { 'k8s-app': 'canal' }, ['docker.io/calico/node:v3.28.2', 'quay.io/coreos/flannel:v0.15.1']);
const coredns = ds('kube-system', 'node-local-dns', { 'k8s-app': 'node-local-dns' }, ['registry.k8s.io/dns/k8s-dns-node-cache:1.23.1']);

describe('CNI detection', () => {
  const cases: { name: string; sets: DaemonSetFact[]; kind: string | null; daemonSets?: string[] }[] = [
    { name: 'Flannel by its manifest name', sets: [kubeProxy, flannel], kind: 'flannel', daemonSets: ['kube-flannel-ds'] },
    { name: 'Flannel by app=flannel label', sets: [kubeProxy, flannelRenamed], kind: 'flannel' },
    { name: 'Flannel by image only', sets: [kubeProxy, flannelByImage], kind: 'flannel' },
    { name: 'Calico (operator install, calico-system)', sets: [kubeProxy, calico], kind: 'calico', daemonSets: ['calico-node'] },
    { name: 'Cilium; cilium-envoy is not a second CNI', sets: [cilium, ciliumEnvoy], kind: 'cilium', daemonSets: ['cilium'] },
    { name: 'Weave Net', sets: [kubeProxy, weave], kind: 'weave' },
    { name: 'Canal DaemonSet is Canal, not Calico + Flannel', sets: [kubeProxy, canal], kind: 'canal', daemonSets: ['canal'] },
    { name: 'calico-node next to Flannel is Canal', sets: [kubeProxy, flannel, calico], kind: 'canal', daemonSets: ['kube-flannel-ds', 'calico-node'] },
    { name: 'unknown CNI', sets: [kubeProxy, coredns], kind: null },
    { name: 'nothing listed', sets: [], kind: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const detected = detectCni(c.sets);
      expect(detected?.kind ?? null).toBe(c.kind);
      if (c.daemonSets) expect(detected?.daemonSets.map((d) => d.name)).toEqual(c.daemonSets);
    });
  }

  it('names Canal as one CNI with both halves', () => {
    expect(detectCni([canal])?.name).toBe('Canal (Flannel networking + Calico policy)');
  });

  it('knows which CNIs route each node pod CIDR', () => {
    expect(detectCni([flannel])?.routesNodePodCidrs).toBe(true);
    expect(detectCni([calico])?.routesNodePodCidrs).toBe(false);
  });
});
