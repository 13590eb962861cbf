// CoreDNS's Corefile, read by the gatherer from our API server through the real client: the one
// ConfigMap kube-system/coredns, by name; a refusal leaves it "unknown" without an access error
// whose fix would grant every ConfigMap.

import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { demoObjects } from '../../lib/demo/objects.js';
import { gatherObjects } from '../../lib/gather/kube.js';
import { loadKubeConfig } from '../../lib/kube/config.js';
import { startKubeApiServer, type KubeApiServerHandle } from '../../lib/testkit/kube-api-server.js';

const COREFILE = '.:53 {\n    kubernetes cluster.local\n    forward . 127.0.0.53\n    loop\n}\n';
const corednsConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' }, data: { Corefile: COREFILE } };
const dnsJob = { kind: 'dns' as const, namespace: 'shop', cluster: 'test' };

describe('reading the Corefile', () => {
  let server: KubeApiServerHandle;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({ objects: [...demoObjects({ block: 250, apiServer: { host: '127.0.0.1', port: 6443 } }), corednsConfigMap] });
    kc = loadKubeConfig({ kubeconfigPath: server.kubeconfigPath });
  });
  afterAll(() => server.close());
  afterEach(() => {
    server.setDeny([]);
    server.upsert(corednsConfigMap);
    server.requests.length = 0;
  });

  it('gets kube-system/coredns by name for dns and svc jobs', async () => {
    const dns = await gatherObjects(kc, dnsJob);
    expect(dns.dns?.corefile).toEqual({ text: COREFILE });
    const svc = await gatherObjects(kc, { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' });
    expect(svc.dns?.corefile).toEqual({ text: COREFILE });
    const reads = server.requests.filter((r) => r.path.includes('/configmaps'));
    expect(reads.map((r) => r.path)).toEqual(['/api/v1/namespaces/kube-system/configmaps/coredns', '/api/v1/namespaces/kube-system/configmaps/coredns']);
  });

  it('a missing ConfigMap is no Corefile, not an error', async () => {
    server.remove('ConfigMap', 'kube-system', 'coredns');
    const facts = await gatherObjects(kc, dnsJob);
    expect(facts.dns?.corefile).toEqual({});
    expect(facts.accessErrors).toEqual([]);
  });

  it('a refused read leaves the Corefile unknown and adds no access error', async () => {
    server.setDeny([{ verb: 'get', resource: 'configmaps', namespace: 'kube-system' }]);
    const facts = await gatherObjects(kc, dnsJob);
    expect(facts.dns?.corefile?.unknown).toMatch(/^unknown, because reading ConfigMap kube-system\/coredns failed \(403: .*forbidden/);
    expect(facts.accessErrors).toEqual([]);
  });
});
