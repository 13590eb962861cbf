import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import check from '../../lib/checks/hostport-without-portmap.js';
import type { NodeAgentFact, NodeFact } from '../../lib/model/index.js';
import { buildFacts } from '../scenarios/load.js';
import { withContext } from '../support/with-context.js';
import { buildLab, describeNetlab, type Lab } from './lab.js';

// hostPort on real packets: a pod on node-2 declares hostPort 8443 → 8080. With a CNI chain
// without portmap nothing maps node-2:8443 (no CNI-HOSTPORT-DNAT rules: the connection is
// refused while the pod answers on its own IP), and the agent's reading of the chain makes the
// check fail. With portmap in the chain, the lab programs the DNAT portmap would, the port
// answers, and the check passes.

const TOKEN = 'h'.repeat(64);
const AGENT_PORT = 9809;
const HOST_PORT = 8443;
const CONTAINER_PORT = 8080;

const BRIDGE_ONLY = { cniVersion: '1.0.0', name: 'lab', plugins: [{ type: 'bridge', bridge: 'cbr0', ipam: { type: 'host-local' } }] };
const WITH_PORTMAP = { ...BRIDGE_ONLY, plugins: [...BRIDGE_ONLY.plugins, { type: 'portmap', capabilities: { portMappings: true }, snat: true }] };

describeNetlab('network lab: hostPort with and without the portmap plugin', () => {
  let lab: Lab;
  let cniDir: string;

  beforeAll(async () => {
    cniDir = await mkdtemp(join(tmpdir(), 'netcheck-lab-cni-'));
    await writeFile(join(cniDir, '10-lab.conflist'), JSON.stringify(BRIDGE_ONLY));
    lab = await buildLab();
    await lab.addPod('client', { node: 'node-1' });
    await lab.addPod('ingress', { node: 'node-2' });
    await lab.startTcpServer('ingress', [CONTAINER_PORT]);
    await lab.startAgent('node-2', { token: TOKEN, port: AGENT_PORT, cniConfDir: cniDir });
  });

  afterAll(async () => {
    if (lab) await lab.teardown();
    if (cniDir) await rm(cniDir, { recursive: true, force: true });
  });

  const nodes = (): NodeFact[] =>
    lab.nodes.map((n) => ({ name: n.name, labels: {}, ready: true, networkUnavailable: false, internalIP: n.internalIP, podCIDRs: [n.podCIDR], unschedulable: false, taints: [] }));

  async function judge() {
    const agents = await lab.callIn<NodeAgentFact[]>(lab.pod('client').ns, 'fetchNodeAgents', [nodes(), ['node-2'], { port: AGENT_PORT, token: TOKEN, timeoutMs: 5000 }]);
    const pod = lab.pod('ingress');
    const facts = buildFacts(
      { kind: 'node', name: 'node-2', cluster: 'lab' },
      {
        nodes: nodes(),
        pods: [
          {
            name: 'ingress',
            namespace: 'edge',
            nodeName: 'node-2',
            podIP: pod.ip,
            phase: 'Running',
            ready: true,
            containers: [{ name: 'proxy', ready: true, state: 'running', ports: [{ containerPort: CONTAINER_PORT, hostPort: HOST_PORT }] }],
          },
        ],
        nodeAgents: agents,
      },
    );
    return check.run(facts)[0];
  }

  const probe = () =>
    lab.probeTcp('client', [
      { ip: lab.node('node-2').internalIP, port: HOST_PORT },
      { ip: lab.pod('ingress').ip, port: CONTAINER_PORT },
    ]);

  it('without portmap in the chain: node-2:8443 is refused while the pod answers, and the check fails naming the file', async () => {
    const [hostPort, podPort] = await probe();
    expect(podPort?.outcome).toBe('connected');
    expect(hostPort?.outcome).toBe('refused');
    const { stdout } = await lab.exec(lab.node('node-2').ns, 'iptables-nft-save', ['-t', 'nat']);
    expect(stdout).not.toContain('CNI-HOSTPORT-DNAT');
    const result = await judge();
    withContext(String(result?.detail), () => expect(result?.status).toBe('fail'));
    expect(result?.detail).toContain(`${cniDir}/10-lab.conflist`);
    expect(result?.detail).toContain(`hostPort ${HOST_PORT}`);
  });

  it('with portmap: the DNAT portmap programs reaches the pod through node-2:8443, and the check passes', async () => {
    await writeFile(join(cniDir, '10-lab.conflist'), JSON.stringify(WITH_PORTMAP));
    const node = lab.node('node-2');
    const pod = lab.pod('ingress');
    // The portmap plugin's chains for this pod (it matches --dst-type LOCAL; the node's address stands in for that here).
    const rules = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':CNI-HOSTPORT-DNAT - [0:0]',
      ':CNI-DN-netchecklab - [0:0]',
      `-A PREROUTING -d ${node.internalIP}/32 -j CNI-HOSTPORT-DNAT`,
      `-A CNI-HOSTPORT-DNAT -p tcp -m tcp --dport ${HOST_PORT} -j CNI-DN-netchecklab`,
      `-A CNI-DN-netchecklab -p tcp -m tcp --dport ${HOST_PORT} -j DNAT --to-destination ${pod.ip}:${CONTAINER_PORT}`,
      'COMMIT',
      '',
    ].join('\n');
    await lab.exec(node.ns, 'iptables-nft-restore', ['--noflush'], { input: rules });
    const [hostPort] = await probe();
    expect(hostPort?.outcome).toBe('connected');
    const result = await judge();
    withContext(String(result?.detail), () => expect(result?.status).toBe('pass'));
    expect(result?.evidence.join('\n')).toContain('portmap [portMappings]');
  });
});
