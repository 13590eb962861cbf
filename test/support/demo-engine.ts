import type { DemoCluster } from '../../lib/demo/cluster.js';
import type { EngineDeps } from '../../lib/engine.js';
import { loadKubeConfig } from '../../lib/kube/config.js';

/** Engine deps against the demo cluster as the in-cluster worker has them: probes from a pod in netcheck, the demo's kube-dns and agents. */
export function workerEngineDeps(demo: DemoCluster): EngineDeps {
  return {
    kc: loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath }),
    probes: {
      enabled: true,
      timeoutMs: 1000,
      concurrency: 8,
      clusterDomain: 'cluster.local',
      dnsServer: demo.dnsServer,
      source: { namespace: 'netcheck', description: 'the worker' },
    },
    agents: { port: demo.agents.port, token: demo.agents.token, timeoutMs: 2000 },
  };
}
