import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { AGENT_PORT, API_SERVER_PORT, APP_PORT, CLIENT_POD, populateCluster } from './cluster.js';
import { buildLab, describeNetlab, type Lab } from './lab.js';
import { networkPolicyObject, policyObject } from '../../lib/testkit/kube-objects.js';

// Cluster-wide policies on a real data plane: the API holds the policy (a deny from the netcheck
// namespace to web, above a NetworkPolicy in shop that admits everyone), and a drop rule
// programmed in the endpoint node's namespace stands in for the CNI's enforcement, so the probe
// really times out. The verdict must name that policy and its rule, not a generic endpoint timeout
// and not the NetworkPolicy; a Service it does not select stays ok. Once for a Calico
// GlobalNetworkPolicy, once for an Admin-tier ClusterNetworkPolicy.

const TOKEN = '5'.repeat(64);

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; remediation: string; subjects: { kind: string; name: string; policyKind?: string; rule?: string }[] } | null;
  findings: { code: string; status: string; explainedBy?: string }[];
}

interface PolicyCase {
  system: string;
  objects: unknown[];
  /** The subject the verdict must name, and the command its fix must start with. */
  subject: { name: string; policyKind: string; rule: string };
  edit: string;
}

const CASES: PolicyCase[] = [
  {
    system: 'a Calico GlobalNetworkPolicy',
    objects: [
      policyObject('projectcalico.org/v3', 'Tier', 'security', undefined, { order: 100 }),
      policyObject('projectcalico.org/v3', 'GlobalNetworkPolicy', 'security.block-netcheck-to-web', undefined, {
        tier: 'security',
        order: 10,
        selector: "app == 'web'",
        types: ['Ingress'],
        ingress: [
          { action: 'Deny', protocol: 'TCP', source: { namespaceSelector: "projectcalico.org/name == 'netcheck'" }, destination: { ports: [APP_PORT] } },
          { action: 'Pass' },
        ],
      }),
    ],
    subject: { name: 'security.block-netcheck-to-web', policyKind: 'GlobalNetworkPolicy.projectcalico.org', rule: 'ingress[0]' },
    edit: 'kubectl edit globalnetworkpolicies.projectcalico.org security.block-netcheck-to-web',
  },
  {
    system: 'an Admin-tier ClusterNetworkPolicy',
    objects: [
      policyObject('policy.networking.k8s.io/v1beta1', 'ClusterNetworkPolicy', 'block-netcheck-to-web', undefined, {
        tier: 'Admin',
        priority: 10,
        subject: { pods: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { app: 'web' } } } },
        ingress: [
          {
            name: 'no-netcheck',
            action: 'Deny',
            from: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': 'netcheck' } } }],
            protocols: [{ tcp: { destinationPort: { number: APP_PORT } } }],
          },
        ],
      }),
    ],
    subject: { name: 'block-netcheck-to-web', policyKind: 'ClusterNetworkPolicy', rule: 'ingress[0] "no-netcheck"' },
    edit: 'kubectl edit clusternetworkpolicy block-netcheck-to-web',
  },
];

for (const policyCase of CASES) {
  describeNetlab(`network lab: ${policyCase.system} enforced in the node namespace`, () => {
    let lab: Lab;
    let kubeconfigPath: string;

    beforeAll(async () => {
      lab = await buildLab();
      const cluster = await populateCluster(lab);
      const objects = [
        ...cluster.objects,
        networkPolicyObject('shop', 'web-from-anywhere', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{}] }),
        ...policyCase.objects,
      ];
      // The policy's enforcement on web's node; pay's drop (its NetworkPolicy) stays as populateCluster set it.
      const web = lab.pod('web-0');
      const pay = lab.pod('pay-0');
      const drops = [{ destination: web.ip, protocol: 'tcp' as const, port: APP_PORT }];
      if (pay.node.name === web.node.name) drops.push({ destination: pay.ip, protocol: 'tcp', port: APP_PORT });
      await lab.setDrops(web.node.name, drops);
      ({ kubeconfigPath } = await lab.startKubeApi('node-1', objects, API_SERVER_PORT));
      for (const node of lab.nodes) await lab.startAgent(node.name, { token: TOKEN, port: AGENT_PORT });
    });

    afterAll(async () => {
      if (lab) await lab.teardown();
    });

    const netcheck = async (args: string[]) =>
      (
        await lab.runNetcheckJson<JsonReport>(CLIENT_POD, [...args, '--probe-timeout', '1500'], {
          KUBECONFIG: kubeconfigPath,
          NETCHECK_AGENT_TOKEN: TOKEN,
          NETCHECK_AGENT_PORT: String(AGENT_PORT),
        })
      ).report;
    const failing = (report: JsonReport) => report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => f.code);

    it(`the probe times out and the verdict names ${policyCase.system}, its kind and its rule`, async () => {
      const report = await netcheck(['svc', 'web', '-n', 'shop']);
      withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('network-policy-denies'));
      expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining({ kind: 'networkpolicy', ...policyCase.subject }));
      expect(report.rootCause?.subjects).not.toContainEqual(expect.objectContaining({ name: 'web-from-anywhere' }));
      expect(report.rootCause?.remediation).toContain(policyCase.edit);
      expect(report.findings.find((f) => f.code === 'endpoint-timeout')).toMatchObject({ status: 'fail', explainedBy: 'network-policy-denies' });
    });

    it('healthy look-alike: api (not selected by the policy) is ok', async () => {
      const report = await netcheck(['svc', 'api', '-n', 'shop']);
      expect(failing(report)).toEqual([]);
      expect(report.status).toBe('ok');
    });
  });
}
