// The engine's sweep against the demo cluster over real sockets (our API server through the
// unmodified client, the loopback data plane, the demo's DNS and node agents): with probes it
// diagnoses the services it flags in full, so each agrees with the single diagnosis `netcheck svc`
// makes; without probes nothing is counted ok.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { startDemoCluster, type DemoCluster } from '../../lib/demo/cluster.js';
import { run, SWEEP_PROBE_LIMIT, type EngineDeps } from '../../lib/engine.js';
import { loadKubeConfig } from '../../lib/kube/config.js';

let demo: DemoCluster;
let deps: EngineDeps;
beforeAll(async () => {
  demo = await startDemoCluster();
  deps = {
    kc: loadKubeConfig({ kubeconfigPath: demo.kubeconfigPath }),
    probes: { enabled: true, timeoutMs: 2000, concurrency: 8, clusterDomain: 'cluster.local' },
    agents: { port: demo.agents.port, token: demo.agents.token, timeoutMs: 2000 },
  };
});
afterAll(async () => {
  await demo?.close();
});

describe('engine sweep with probes', () => {
  it('diagnoses the flagged services in full: inventory and ledger fail exactly as svc says', async () => {
    const sweep = await run({ kind: 'cluster', cluster: 'demo' }, deps);
    expect(sweep.verification).toEqual({ probed: 8, limit: SWEEP_PROBE_LIMIT });
    expect(sweep.counts).toMatchObject({ services: 8, unverified: 0 });
    for (const name of ['inventory', 'ledger', 'payments', 'cart']) {
      const single = await run({ kind: 'svc', namespace: 'shop', name, cluster: 'demo' }, deps);
      const entry = sweep.problems.find((p) => p.namespace === 'shop' && p.name === name);
      withContext(name, () =>
        expect({ status: entry?.status, rootCause: entry?.rootCause?.code, subjects: entry?.rootCause?.subjects, verified: entry?.verified }).toEqual({
          status: single.status,
          rootCause: single.rootCause?.code,
          subjects: single.rootCause?.subjects,
          verified: true,
        }),
      );
    }
    // What the API checks alone could not tell: a warning that is a failure, an NXDOMAIN counted ok.
    expect(sweep.problems.find((p) => p.name === 'inventory')).toMatchObject({ status: 'fail', rootCause: { code: 'target-port-mismatch' } });
    expect(sweep.problems.find((p) => p.name === 'ledger')).toMatchObject({ status: 'fail', rootCause: { code: 'externalname-unresolvable' } });
  });

  it('without probes counts nothing ok and says why every service is unverified', async () => {
    const sweep = await run({ kind: 'cluster', cluster: 'demo' }, { ...deps, probes: { ...deps.probes, enabled: false, skipReason: 'probes disabled for this test' } });
    expect(sweep.counts).toMatchObject({ services: 8, ok: 0, unverified: 4 });
    expect(sweep.verification).toEqual({ probed: 0, limit: 0, reason: 'probes disabled for this test' });
    expect(sweep.problems.find((p) => p.name === 'inventory')).toMatchObject({ status: 'warn', verified: false, unverifiedReason: 'probes disabled for this test' });
    expect(sweep.problems.some((p) => p.name === 'ledger')).toBe(false);
  });
});
