// Node-agent netfilter benchmark: a node with 10,000 Services' worth of kube-proxy rules, in
// iptables mode (iptables-save text) and nftables mode (nft -j JSON), and the cost of one
// GET /facts with 2 Service addresses: parse time, heap and RSS growth. Three ways:
//   dump    the full outputs parsed (iptables-save / nft -j list ruleset), as recorded
//   live    the agent's own path (nft -j list chains, iptables -S per chain, nft maps) with the
//           tools' outputs served from memory, so only our parsing is measured
//   real    (root only; --no-real skips) the rules loaded into a network namespace of our own
//           and the bundled reader run inside it: the real tools' cost included.
//           nftables mode is loaded only with --real-nft (nft -f takes ~50 s at this size).
// It prints figures; it is not a test.
//
//   npm run bench:agent [-- --services=10000] [-- --runs=5] [-- --no-real] [-- --real-nft]

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as bundle } from 'esbuild';
import { parseIptables } from '../lib/agent/iptables-parse.js';
import { netfilterFromDumps, readNetfilter } from '../lib/agent/netfilter.js';
import type { ServiceAddress } from '../lib/agent/service-address.js';
import type { ToolRequest, ToolResult } from '../lib/agent/tools.js';

const repo = fileURLToPath(new URL('../', import.meta.url));
const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string | undefined]));
const SERVICES = Number(args.get('services') ?? 10_000);
const RUNS = Number(args.get('runs') ?? 5);
const ENDPOINTS = 2;
/** Every 50th Service has no endpoints: kube-proxy's REJECT (iptables) / no-endpoint-services (nftables). */
const NO_ENDPOINTS_EVERY = 50;

const serviceIp = (i: number) => `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const podIp = (i: number, j: number) => `10.${244 + j}.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const hex = (value: number, width: number) => value.toString(16).toUpperCase().padStart(width, '0');
const hasEndpoints = (i: number) => i % NO_ENDPOINTS_EVERY !== NO_ENDPOINTS_EVERY - 1;

/** iptables-save of kube-proxy's iptables mode, as iptables 1.8.9 prints it. */
function iptablesSave(): string {
  const filter = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
  ];
  const natHeaders = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-SERVICES - [0:0]',
  ];
  const nat = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
  ];
  for (let i = 0; i < SERVICES; i += 1) {
    const ip = serviceIp(i);
    const name = `ns${i % 100}/svc${i}:http`;
    if (!hasEndpoints(i)) {
      filter.push(`-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "${name} has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable`);
      continue;
    }
    const svc = `KUBE-SVC-${hex(i, 16)}`;
    natHeaders.push(`:${svc} - [0:0]`);
    nat.push(`-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j ${svc}`);
    nat.push(`-A ${svc} ! -s 10.244.0.0/16 -d ${ip}/32 -p tcp -m comment --comment "${name} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`);
    for (let j = 0; j < ENDPOINTS; j += 1) {
      const sep = `KUBE-SEP-${hex(i, 14)}${hex(j, 2)}`;
      const pod = podIp(i, j);
      natHeaders.push(`:${sep} - [0:0]`);
      const probability = j < ENDPOINTS - 1 ? ` -m statistic --mode random --probability ${(1 / (ENDPOINTS - j)).toFixed(11)}` : '';
      nat.push(`-A ${svc} -m comment --comment "${name} -> ${pod}:8080"${probability} -j ${sep}`);
      nat.push(`-A ${sep} -s ${pod}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      nat.push(`-A ${sep} -p tcp -m comment --comment "${name}" -m tcp -j DNAT --to-destination ${pod}:8080`);
    }
  }
  return [...filter, 'COMMIT', ...natHeaders, ...nat, 'COMMIT', ''].join('\n');
}

type NftEntry = Record<string, unknown>;

/** `nft -j list ruleset` of kube-proxy's nftables mode, in nftables 1.0.6's JSON shapes. */
function nftRuleset(): { json: string; entries: NftEntry[] } {
  const family = 'ip';
  const table = 'kube-proxy';
  const chain = (name: string, base?: Record<string, unknown>): NftEntry => ({ chain: { family, table, name, handle: 0, ...base } });
  const rule = (name: string, expr: unknown[]): NftEntry => ({ rule: { family, table, chain: name, handle: 0, expr } });
  const daddr = { payload: { protocol: 'ip', field: 'daddr' } };
  const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
  const key = { concat: [daddr, { meta: { key: 'l4proto' } }, { payload: { protocol: 'th', field: 'dport' } }] };
  const serviceIps: unknown[] = [];
  const noEndpoints: unknown[] = [];
  const chains: NftEntry[] = [
    chain('filter-forward', { type: 'filter', hook: 'forward', prio: -110, policy: 'accept' }),
    chain('nat-prerouting', { type: 'nat', hook: 'prerouting', prio: -100, policy: 'accept' }),
    chain('endpoints-check'),
    chain('services'),
    chain('reject-chain'),
    chain('mark-for-masquerade'),
  ];
  const rules: NftEntry[] = [
    rule('filter-forward', [{ match: { op: 'in', left: { ct: { key: 'state' } }, right: 'new' } }, { jump: { target: 'endpoints-check' } }]),
    rule('nat-prerouting', [{ jump: { target: 'services' } }]),
    rule('endpoints-check', [{ vmap: { key, data: '@no-endpoint-services' } }]),
    rule('services', [{ vmap: { key, data: '@service-ips' } }]),
    rule('reject-chain', [{ reject: { type: 'icmp', expr: 'port-unreachable' } }]),
    rule('mark-for-masquerade', [{ mangle: { key: { meta: { key: 'mark' } }, value: { '|': [{ meta: { key: 'mark' } }, 16384] } } }]),
  ];
  for (let i = 0; i < SERVICES; i += 1) {
    const ip = serviceIp(i);
    const portName = `ns${i % 100}/svc${i}/tcp/http`;
    if (!hasEndpoints(i)) {
      noEndpoints.push([{ elem: { val: { concat: [ip, 'tcp', 80] }, comment: portName } }, { goto: { target: 'reject-chain' } }]);
      continue;
    }
    const service = `service-${hex(i, 8)}-${portName}`;
    const endpoints: string[] = [];
    for (let j = 0; j < ENDPOINTS; j += 1) {
      const pod = podIp(i, j);
      const endpoint = `endpoint-${hex(i, 6)}${hex(j, 2)}-${portName}__${pod}/8080`;
      endpoints.push(endpoint);
      chains.push(chain(endpoint));
      rules.push(rule(endpoint, [{ match: { op: '==', left: saddr, right: pod } }, { jump: { target: 'mark-for-masquerade' } }]));
      rules.push(rule(endpoint, [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { dnat: { addr: pod, port: 8080 } }]));
    }
    chains.push(chain(service));
    rules.push(
      rule(service, [
        { match: { op: '==', left: daddr, right: ip } },
        { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 80 } },
        { match: { op: '!=', left: saddr, right: { prefix: { addr: '10.244.0.0', len: 16 } } } },
        { jump: { target: 'mark-for-masquerade' } },
      ]),
    );
    rules.push(
      rule(service, [{ vmap: { key: { numgen: { mode: 'random', mod: ENDPOINTS, offset: 0 } }, data: { set: endpoints.map((target, n) => [n, { goto: { target } }]) } } }]),
    );
    serviceIps.push([{ concat: [ip, 'tcp', 80] }, { goto: { target: service } }]);
  }
  const map = (name: string, elem: unknown[]): NftEntry => ({ map: { family, name, table, type: ['ipv4_addr', 'inet_proto', 'inet_service'], handle: 0, map: 'verdict', elem } });
  const entries: NftEntry[] = [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family, name: table, handle: 1 } },
    // Chains before the maps whose verdicts name them, so `nft -j -f` can load this as is.
    ...chains,
    map('no-endpoint-services', noEndpoints),
    map('service-ips', serviceIps),
    ...rules,
  ];
  return { json: JSON.stringify({ nftables: entries }), entries };
}

// ---- measuring --------------------------------------------------------------------------------

/** One Service early in the rules and the last one that has endpoints: no lucky early exit. */
const withEndpoints = (from: number): number => (hasEndpoints(from) ? from : withEndpoints(from - 1));
const ADDRESSES: ServiceAddress[] = [
  { ip: serviceIp(withEndpoints(Math.floor(SERVICES / 3))), port: 80, protocol: 'TCP' },
  { ip: serviceIp(withEndpoints(SERVICES - 1)), port: 80, protocol: 'TCP' },
];

interface Sample {
  ms: number;
  heapMB: number;
  rssMB: number;
}

const mb = (bytes: number) => bytes / 1024 / 1024;
const gc = (globalThis as { gc?: () => void }).gc;

async function sample(work: () => Promise<unknown>): Promise<Sample> {
  gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  const timer = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  clearInterval(timer);
  const after = process.memoryUsage();
  peakHeap = Math.max(peakHeap, after.heapUsed);
  return { ms, heapMB: mb(peakHeap - before.heapUsed), rssMB: mb(after.rss - before.rss) };
}

function report(label: string, samples: Sample[]): void {
  const sorted = (pick: (s: Sample) => number) => samples.map(pick).sort((a, b) => a - b);
  const median = (values: number[]) => values[Math.floor(values.length / 2)] ?? NaN;
  const ms = sorted((s) => s.ms);
  console.log(
    `${label.padEnd(44)} median ${median(ms).toFixed(0).padStart(5)} ms  best ${ms[0]?.toFixed(0).padStart(5)} ms  ` +
      `heap +${median(sorted((s) => s.heapMB))
        .toFixed(1)
        .padStart(6)} MB  rss +${median(sorted((s) => s.rssMB))
        .toFixed(1)
        .padStart(6)} MB  (${samples.length} runs)`,
  );
}

async function runs(label: string, work: () => Promise<unknown>): Promise<void> {
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i += 1) samples.push(await sample(work));
  report(label, samples);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`benchmark sanity check failed: ${message}`);
}

/** The tools' answers for the agent's live path, cut from the full outputs. */
function scriptedTools(save: string, nft: NftEntry[] | undefined): (request: ToolRequest) => Promise<ToolResult> {
  const dump = parseIptables(save);
  const dashS = new Map<string, string>();
  for (const [tableName, table] of dump.tables) {
    const all: string[] = [];
    for (const [name, chain] of table.chains) {
      const header = chain.builtin ? `-P ${name} ${chain.policy ?? 'ACCEPT'}` : `-N ${name}`;
      const lines = [header, ...chain.rules.map((rule) => rule.text)];
      dashS.set(`${tableName} ${name}`, `${lines.join('\n')}\n`);
      all.push(...lines);
    }
    dashS.set(tableName, `${all.join('\n')}\n`);
  }
  const chainsJson = JSON.stringify({
    nftables: [
      ...[...dump.tables].flatMap(([tableName, table]) =>
        [...table.chains.values()].map((chain) => ({
          chain: {
            family: 'ip',
            table: tableName,
            name: chain.name,
            handle: 0,
            ...(chain.builtin ? { type: tableName === 'nat' ? 'nat' : 'filter', hook: chain.name.toLowerCase(), prio: 0, policy: (chain.policy ?? 'ACCEPT').toLowerCase() } : {}),
          },
        })),
      ),
      ...(nft ?? []).filter((entry) => 'chain' in entry),
    ],
  });
  const maps = new Map((nft ?? []).filter((entry) => 'map' in entry).map((entry) => [(entry.map as { name: string }).name, JSON.stringify({ nftables: [entry] })]));
  return async (request) => {
    const line = [request.command, ...request.args].join(' ');
    const ok = (stdout: string): ToolResult => ({ ok: true, stdout, stderr: '', code: 0 });
    if (line === 'nft -j list chains') return ok(chainsJson);
    const iptables = /^iptables-nft -t (\w+) -S(?: (\S+))?$/.exec(line);
    if (iptables) return ok(dashS.get(iptables[2] ? `${iptables[1]} ${iptables[2]}` : (iptables[1] as string)) ?? '');
    const map = /^nft -j list map ip kube-proxy (\S+)$/.exec(line);
    if (map) return ok(maps.get(map[1] as string) ?? '{"nftables": []}');
    return { ok: false, reason: `${request.command} not scripted: ${line}`, stderr: '', errno: 'ENOENT' };
  };
}

// ---- real tools in a namespace ------------------------------------------------------------------

function exec(command: string, argv: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString().slice(0, 2000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

const READER = `
import { readAgentFacts } from './lib/agent/facts.ts';
const services = JSON.parse(process.argv[2]);
const runs = Number(process.argv[3]);
const out = [];
for (let i = 0; i < runs; i++) {
  globalThis.gc?.();
  const before = process.memoryUsage();
  const started = performance.now();
  const facts = await readAgentFacts({ services });
  const ms = performance.now() - started;
  const after = process.memoryUsage();
  out.push({ ms, heapMB: (after.heapUsed - before.heapUsed) / 1048576, rssMB: (after.rss - before.rss) / 1048576, backends: facts.serviceRules.map((r) => r.backends.length), mode: facts.netfilter?.kubeProxyMode ?? null, unknown: Object.keys(facts.unknown).filter((k) => k.startsWith('netfilter')) });
}
process.stdout.write(JSON.stringify({ out, rssMB: process.memoryUsage().rss / 1048576 }));
`;

async function realTools(save: string, nft: string | undefined): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('real tools: skipped (needs root for a network namespace)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'netcheck-bench-agent-'));
  const reader = join(dir, 'reader.mjs');
  const namespaces: string[] = [];
  try {
    await bundle({
      stdin: { contents: READER, resolveDir: repo, sourcefile: 'bench-reader.ts', loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: reader,
      logLevel: 'silent',
    });
    const modes: [string, (ns: string) => Promise<void>][] = [
      [
        'iptables (nf_tables backend)',
        async (ns) => {
          const loaded = await exec('ip', ['netns', 'exec', ns, 'iptables-nft-restore'], save);
          if (loaded.code !== 0) throw new Error(`iptables-nft-restore: ${loaded.stderr}`);
        },
      ],
    ];
    if (nft !== undefined) {
      modes.push([
        'nftables',
        async (ns) => {
          // nft cannot read JSON from a pipe here ("Could not open file /dev/stdin").
          const file = join(dir, 'ruleset.json');
          await writeFile(file, nft);
          const loaded = await exec('ip', ['netns', 'exec', ns, 'nft', '-j', '-f', file]);
          if (loaded.code !== 0) throw new Error(`nft -j -f: ${loaded.stderr}`);
        },
      ]);
    }
    for (const [label, load] of modes) {
      const ns = `nc-bench-agentnf-${process.pid}-${namespaces.length}`;
      const created = await exec('ip', ['netns', 'add', ns]);
      if (created.code !== 0) throw new Error(`ip netns add: ${created.stderr}`);
      namespaces.push(ns);
      const loadStarted = performance.now();
      await load(ns);
      const loadMs = performance.now() - loadStarted;
      const result = await exec('ip', ['netns', 'exec', ns, process.execPath, '--expose-gc', reader, JSON.stringify(ADDRESSES), String(RUNS)]);
      if (result.code !== 0) throw new Error(`reader in ${ns}: ${result.stderr}`);
      const parsed = JSON.parse(result.stdout) as { out: (Sample & { backends: number[]; mode: string | null; unknown: string[] })[]; rssMB: number };
      check(
        parsed.out.every((run) => run.backends.every((count) => count === ENDPOINTS) && run.unknown.length === 0),
        `real ${label}: ${JSON.stringify(parsed.out[0])}`,
      );
      report(`real tools, ${label}, readAgentFacts`, parsed.out);
      console.log(`${''.padEnd(44)} (rules loaded in ${(loadMs / 1000).toFixed(1)} s; reader process RSS ${parsed.rssMB.toFixed(0)} MB after ${RUNS} runs)`);
    }
  } finally {
    for (const ns of namespaces) await exec('ip', ['netns', 'del', ns]);
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `node agent netfilter benchmark: ${SERVICES} Services × ${ENDPOINTS} endpoints, ${RUNS} runs each, 2 Service addresses per request${gc ? '' : ' (no --expose-gc: heap figures include garbage)'}`,
  );
  const save = iptablesSave();
  const nft = nftRuleset();
  console.log(
    `generated: iptables-save ${save.split('\n').length} lines (${mb(save.length).toFixed(1)} MB), nft -j ${nft.entries.length} objects (${mb(nft.json.length).toFixed(1)} MB)`,
  );

  const expectBackends = async (snapshot: Awaited<ReturnType<typeof readNetfilter>>) => {
    const rules = await snapshot.serviceRules(ADDRESSES);
    check(
      rules.every((rule) => rule.found && rule.backends.length === ENDPOINTS),
      JSON.stringify(rules),
    );
  };

  await runs('dump: iptables-save parse + index + 2 lookups', async () => {
    await expectBackends(netfilterFromDumps({ iptablesSave: save }));
  });
  await runs('dump: nft -j ruleset parse + index + 2 lookups', async () => {
    await expectBackends(netfilterFromDumps({ nftRuleset: nft.json }));
  });
  const iptablesTools = scriptedTools(save, undefined);
  await runs('live path, iptables mode (tools in memory)', async () => {
    await expectBackends(await readNetfilter({ run: iptablesTools, procRoot: '/nonexistent' }));
  });
  const nftTools = scriptedTools('', nft.entries);
  await runs('live path, nftables mode (tools in memory)', async () => {
    await expectBackends(await readNetfilter({ run: nftTools, procRoot: '/nonexistent' }));
  });

  if (args.has('no-real')) console.log('real tools: skipped (--no-real)');
  else await realTools(save, args.has('real-nft') ? nft.json : undefined);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
