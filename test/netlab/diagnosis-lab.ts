import { AGENT_PORT, API_SERVER_PORT, CLIENT_POD, populateCluster, type ClusterOptions, type LabCluster } from './cluster.js';
import { buildLab, type Lab } from './lab.js';

export interface DiagnosisLab<R> {
  lab: Lab;
  cluster: LabCluster;
  /** The CLI's JSON report for `args`, run from the client pod against the lab's API server and agents. */
  diagnose: (args: string[]) => Promise<R>;
}

/**
 * The lab cluster, its API server on node-1 and an agent on every node, as the DNS lab files use
 * it. A set-up that fails half-way tears down what it built, since the caller never gets the lab.
 */
export async function startDiagnosisLab<R>(options: ClusterOptions, token: string): Promise<DiagnosisLab<R>> {
  const lab = await buildLab();
  try {
    const cluster = await populateCluster(lab, options);
    const { kubeconfigPath } = await lab.startKubeApi('node-1', cluster.objects, API_SERVER_PORT);
    for (const node of lab.nodes) await lab.startAgent(node.name, { token, port: AGENT_PORT });
    const env = { KUBECONFIG: kubeconfigPath, NETCHECK_AGENT_TOKEN: token, NETCHECK_AGENT_PORT: String(AGENT_PORT) };
    return { lab, cluster, diagnose: async (args) => (await lab.runNetcheckJson<R>(CLIENT_POD, args, env)).report };
  } catch (e) {
    await lab.teardown();
    throw e;
  }
}
