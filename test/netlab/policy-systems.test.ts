import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';
import { AGENT_PORT, API_SERVER_PORT, APP_PORT, CLIENT_POD, populateCluster } from './cluster.js';
import { buildLab, describeNetlab, type Lab } from './lab.js';
import { networkPolicyObject, policyObject } from '../../lib/testkit/kube-objects.js';

// A Calico GlobalNetworkPolicy on a real data plane: the API holds the policy (a Deny from the
// netcheck namespace in the security tier, above a NetworkPolicy in shop that admits everyone),
// and a drop rule programmed in the endpoint node's namespace stands in for Calico's enforcement,
// so the probe really times out. The verdict must name the GlobalNetworkPolicy and its rule, not
// a generic endpoint timeout and not the NetworkPolicy; a Service it does not select stays ok.

const TOKEN = '5'.repeat(64);

interface JsonReport {
  status: string;
  rootCause: { code: string; summary: string; remediation: string; subjects: { kind: string; name: string; policyKind?: string; rule?: string }[] } | null;
  findings: { code: string; status: string; explainedBy?: string }[];
}

describeNetlab('network lab: a Calico GlobalNetworkPolicy enforced in the node namespace', () => {
  let lab: Lab;
  let kubeconfigPath: string;

  beforeAll(async () => {
    lab = await buildLab();
    const cluster = await populateCluster(lab);
    const objects = [
      ...cluster.objects,
      networkPolicyObject('shop', 'web-from-anywhere', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{}] }),
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
    ];
    // Calico's enforcement on web's node; pay's drop (its NetworkPolicy) stays as populateCluster set it.
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

  it('the probe times out and the verdict names the GlobalNetworkPolicy, its kind and its rule', async () => {
    const report = await netcheck(['svc', 'web', '-n', 'shop']);
    withContext(JSON.stringify(failing(report)), () => expect(report.rootCause?.code).toBe('network-policy-denies'));
    expect(report.rootCause?.subjects).toContainEqual(
      expect.objectContaining({ kind: 'networkpolicy', name: 'security.block-netcheck-to-web', policyKind: 'GlobalNetworkPolicy.projectcalico.org', rule: 'ingress[0]' }),
    );
    expect(report.rootCause?.subjects).not.toContainEqual(expect.objectContaining({ name: 'web-from-anywhere' }));
    expect(report.rootCause?.remediation).toContain('kubectl edit globalnetworkpolicies.projectcalico.org security.block-netcheck-to-web');
    expect(report.findings.find((f) => f.code === 'endpoint-timeout')).toMatchObject({ status: 'fail', explainedBy: 'network-policy-denies' });
  });

  it('healthy look-alike: api (not selected by the GlobalNetworkPolicy) is ok', async () => {
    const report = await netcheck(['svc', 'api', '-n', 'shop']);
    expect(failing(report)).toEqual([]);
    expect(report.status).toBe('ok');
  });
});
