// The Helm chart's worker limits, applied to a benchmark's child processes: a control group with
// the chart's memory and CPU limits (cgroup v2, or v1's memory and cpu controllers) and the
// chart's NODE_OPTIONS. Node sizes V8's heap from the memory limit when it starts, so a child
// must be in the group before node runs: it is started through `sh`, which joins the group and
// then execs node. Needs root (or a delegated cgroup); the group is removed afterwards.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CPU_PERIOD_US = 100_000;

export interface WorkerLimits {
  memoryBytes: number;
  /** CPUs, as the chart writes them ('1', '500m'). */
  cpus: number;
  /** The chart's worker.nodeOptions ('' when it sets none). */
  nodeOptions: string;
}

/** Kubernetes quantities the chart uses: 512Mi, 1Gi, 500M; CPUs as 1, 0.5 or 500m. */
export function parseMemory(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity.trim());
  if (!match) throw new Error(`not a memory quantity: "${quantity}"`);
  const scale = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1;
  return Math.round(Number(match[1]) * scale);
}

export function parseCpu(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(quantity.trim());
  if (!match) throw new Error(`not a CPU quantity: "${quantity}"`);
  return Number(match[1]) / (match[2] ? 1000 : 1);
}

/** The worker's limits and Node options from the chart's values.yaml. */
export async function chartWorkerLimits(valuesPath: string): Promise<WorkerLimits> {
  const values = parse(await readFile(valuesPath, 'utf8')) as { worker?: { nodeOptions?: string; resources?: { limits?: { memory?: string; cpu?: string | number } } } };
  const limits = values.worker?.resources?.limits;
  if (!limits?.memory || limits.cpu === undefined) throw new Error(`${valuesPath}: worker.resources.limits needs memory and cpu`);
  return { memoryBytes: parseMemory(limits.memory), cpus: parseCpu(String(limits.cpu)), nodeOptions: values.worker?.nodeOptions ?? '' };
}

/** A control group holding the chart's limits. */
export interface LimitedGroup {
  /** Arguments for `sh` that join the group and then exec `command`: the command stays an argument array, never a shell string. */
  wrap(command: readonly string[]): string[];
  remove(): Promise<void>;
}

/** Joins each group whose cgroup.procs file is named in the first arguments ($1 = how many), then execs the rest. */
const JOIN_AND_EXEC = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 1; shift; n=$((n - 1)); done; exec "$@"';

export async function createLimitedGroup(name: string, limits: WorkerLimits): Promise<LimitedGroup> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`cgroup name must be [a-z0-9-]+, got "${name}"`);
  const quota = Math.round(limits.cpus * CPU_PERIOD_US);
  const dirs: string[] = [];
  const remove = async () => {
    // A group can be removed once its processes have exited; each child is awaited before this.
    for (const dir of dirs.reverse()) await rmdir(dir).catch(() => undefined);
    dirs.length = 0;
  };
  const made = async (dir: string) => {
    await mkdir(dir);
    dirs.push(dir);
    return dir;
  };
  try {
    if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) {
      // Enabling controllers would change the machine for everything else on it: say what is missing instead.
      const enabled = (await readFile(join(CGROUP_ROOT, 'cgroup.subtree_control'), 'utf8')).split(/\s+/);
      const missing = ['memory', 'cpu'].filter((controller) => !enabled.includes(controller));
      if (missing.length) throw new Error(`the ${missing.join(' and ')} controllers are not enabled in ${CGROUP_ROOT}/cgroup.subtree_control`);
      const dir = await made(join(CGROUP_ROOT, name));
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
      await writeFile(join(dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
    } else {
      const memory = await made(join(CGROUP_ROOT, 'memory', name));
      await writeFile(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
      const cpu = await made(join(CGROUP_ROOT, 'cpu', name));
      await writeFile(join(cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      await writeFile(join(cpu, 'cpu.cfs_quota_us'), String(quota));
    }
  } catch (e) {
    await remove();
    throw new Error(`cannot create the cgroup ${name} (root and a writable ${CGROUP_ROOT} are needed): ${(e as Error).message}`);
  }
  const procs = dirs.map((dir) => join(dir, 'cgroup.procs'));
  return { wrap: (command) => ['-c', JOIN_AND_EXEC, 'sh', String(procs.length), ...procs, ...command], remove };
}
