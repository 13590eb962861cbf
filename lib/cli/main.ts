import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { KubeConfig } from '@kubernetes/client-node';
import type { EngineDeps } from '../engine.js';
import type { AnyReport, NodeKernelFacts, Silence, TargetSource, TargetSpec } from '../model/index.js';
import { VERSION } from '../version.js';
import type { Lazy } from './lazy.js';

// `netcheck` on a laptop or in CI: the same engine as the worker, printed as text, JSON, JUnit or
// Markdown. Start-up matters (`--help` is Node's own start plus commander): everything beyond
// commander — the model and its zod schemas, the engine, the renderers — is imported by the
// command that needs it, through lazy.ts. Exit codes: 0 ok (or below --fail-on), 1 problems at or above --fail-on, 2 usage,
// configuration or access errors.

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  isTTY: boolean;
  /** Where `.netcheck.yaml` is looked for; the process's cwd by default. */
  cwd?: string;
  /** "kubectl netcheck" when run as the kubectl plugin: help and errors then read as the user typed. */
  programName?: string;
}

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

export const OUTPUT_FORMATS = ['text', 'json', 'junit', 'markdown'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The config file looked for in the working directory when --config is not given. */
export const DEFAULT_CONFIG_FILE = '.netcheck.yaml';

interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  output: OutputFormat;
  probes: boolean;
  probeTimeout: number;
  clusterDomain: string;
  dnsExternalName?: string;
  agentPort: number;
  agentTokenFile?: string;
  color?: boolean;
  probeInPod?: boolean;
  only?: string[];
  skip?: string[];
  failOn: 'warn' | 'fail';
  config?: string;
}

class UsageError extends Error {}

/** One of the modules only some commands need (lazy.ts), imported on first use. */
async function load<K extends keyof Lazy>(name: K): Promise<Awaited<ReturnType<Lazy[K]>>> {
  const { lazy } = await import('./lazy.js');
  return (await lazy[name]()) as Awaited<ReturnType<Lazy[K]>>;
}

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return n;
};

/** "a,b" and repeated flags → one list; codes are checked against the registry before anything runs. */
const list = (value: string, previous: string[] | undefined) => [
  ...(previous ?? []),
  ...value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean),
];

async function validTarget(input: TargetSpec | Record<string, unknown>): Promise<TargetSpec> {
  const [{ targetSpecSchema }, { formatZodError }] = await Promise.all([load('model'), load('jobSchema')]);
  const parsed = targetSpecSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(formatZodError(parsed.error));
  return parsed.data;
}

/** --dns-external-name becomes a probe's question: a DNS name, nothing else. */
async function validExternalName(name: string): Promise<string> {
  const { isDnsSubdomain } = await import('../model/index.js');
  const lower = name.toLowerCase().replace(/\.$/, '');
  if (!isDnsSubdomain(lower)) throw new UsageError(`--dns-external-name "${name.slice(0, 80)}" is not a DNS name`);
  return lower;
}

/** The kubeconfig, loaded once per run and only when a command needs it (a namespace default or a diagnosis). */
interface KubeAccess {
  config(): Promise<KubeConfig>;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command(io.programName ?? 'netcheck')
    .description('Troubleshoot Kubernetes networking: a causal verdict for a Service, a node, DNS or the whole cluster.')
    .version(VERSION, '-V, --version', 'print the netcheck version')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .addOption(new Option('-o, --output <format>', 'output format (markdown: for a PR or ticket comment; junit: for CI)').choices(OUTPUT_FORMATS).default('text'))
    .option('--only <codes>', 'report only these check codes (comma-separated, repeatable); problems of other codes are shown as silenced', list)
    .option('--skip <codes>', 'silence these check codes (comma-separated, repeatable); they are shown as silenced and counted', list)
    .addOption(new Option('--fail-on <level>', 'exit 1 from this status up').choices(['warn', 'fail']).default('warn'))
    .option('--config <path>', `silence file (default: ${DEFAULT_CONFIG_FILE} in the working directory, when present)`)
    .option('--no-probes', 'API-level checks only (for laptops outside the cluster network); probes show as skipped')
    .option('--probe-timeout <ms>', 'TCP/DNS probe timeout', positiveInt('--probe-timeout'), 2000)
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option(
      '--dns-external-name <name>',
      'on dns: the name outside the cluster asked through CoreDNS and of its upstreams (default kubernetes.io; air-gapped: one your resolvers serve)',
    )
    .option('--agent-port <port>', 'node agent port', positiveInt('--agent-port'), Number(io.env.NETCHECK_AGENT_PORT ?? 9807))
    .option('--agent-token-file <path>', 'file holding the node agent token (default: $NETCHECK_AGENT_TOKEN)')
    .option(
      '--probe-in-pod',
      "with --from: run the TCP probes inside the client pod's network namespace, through its node's agent (the agent must run with NETCHECK_AGENT_POD_PROBES=on)",
    )
    .option('--no-color', 'plain text output')
    .showHelpAfterError(`(run ${io.programName ?? 'netcheck'} --help for usage)`)
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  let loaded: Promise<KubeConfig> | undefined;
  const kube: KubeAccess = {
    config: () =>
      (loaded ??= load('kubeConfig').then(({ loadKubeConfig }) => {
        const opts = program.opts<GlobalOptions>();
        // Only an explicit flag is attributed to the flag; $KUBECONFIG is read (and named in errors) by the loader.
        return loadKubeConfig({ ...(opts.kubeconfig ? { kubeconfigPath: opts.kubeconfig } : {}), context: opts.context, env: io.env });
      })),
  };
  /** `-n` when given, else the kube context's namespace, else "default" — as kubectl does. */
  const namespaceOf = async (given: string | undefined): Promise<string> => {
    if (given !== undefined) return given;
    const kc = await kube.config();
    return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  };

  const source = async (text: string | undefined, namespace: string): Promise<{ from?: TargetSource }> => {
    if (text === undefined) return {};
    const { parseSource } = await load('model');
    const parsed = parseSource(text, namespace);
    if (!parsed.ok) throw new UsageError(parsed.error);
    return { from: parsed.value };
  };
  const fromOption = '--from <source>';
  const fromHelp =
    "diagnose the path from this client: [<namespace>/]<pod> or [<namespace>/]<deploy|sts|ds|rs>/<name> (its namespace's policies, its node's kernel and kube-proxy rules)";
  const namespaceHelp = "namespace (default: the kube context's namespace, else default)";
  const run = async (target: () => Promise<TargetSpec>) => {
    const opts = program.opts<GlobalOptions>();
    exitCode = await diagnoseAndPrint(target, opts, io, kube);
  };

  program
    .command('svc')
    .alias('service')
    .description('diagnose a Service')
    .argument('<name>', 'service name (or <namespace>/<name>)')
    .option('-n, --namespace <namespace>', namespaceHelp)
    .option(fromOption, fromHelp)
    .action(async (name: string, o: { namespace?: string; from?: string }) =>
      run(async () => {
        const [given, svc] = name.includes('/') ? (name.split('/', 2) as [string, string]) : [o.namespace, name];
        // A bad name is refused before the kubeconfig is even read.
        await validTarget({ kind: 'svc', name: svc, namespace: given ?? 'default' });
        const ns = await namespaceOf(given);
        return validTarget({ kind: 'svc', name: svc, namespace: ns, ...(await source(o.from, ns)) });
      }),
    );
  program
    .command('node')
    .description('check a node: conditions, kube-proxy, CNI, kernel settings from its agent')
    .argument('<name>', 'node name')
    .action(async (name: string) => run(async () => validTarget({ kind: 'node', name })));
  program
    .command('dns')
    .description("check cluster DNS as seen from a namespace; with a name, how that namespace's pods resolve it (search list, ndots)")
    .argument('[name]', 'a name the client resolves, e.g. api.stripe.com (a trailing dot makes it absolute)')
    .option('-n, --namespace <namespace>', namespaceHelp)
    .option(fromOption, fromHelp)
    .option('--slow', 'the complaint is slow lookups, not failing ones: judge the queries each lookup costs')
    .action(async (name: string | undefined, o: { namespace?: string; from?: string; slow?: boolean }) =>
      run(async () => {
        // DNS names are case-insensitive; the validated form is lowercase.
        const lookup = { ...(name !== undefined ? { name: name.toLowerCase() } : {}), ...(o.slow ? { slow: true } : {}) };
        await validTarget({ kind: 'dns', namespace: o.namespace ?? 'default', ...lookup });
        const ns = await namespaceOf(o.namespace);
        return validTarget({ kind: 'dns', namespace: ns, ...(await source(o.from, ns)), ...lookup });
      }),
    );
  program
    .command('cluster')
    .description('sweep every namespace (or those given with -n): services, DNS, kube-proxy, CNI, nodes')
    .option('-A, --all-namespaces', 'every namespace (the default)')
    .option('-n, --namespace <namespaces>', "only these namespaces' services (comma-separated, repeatable); cluster-wide checks still run", list)
    .action(async (o: { allNamespaces?: boolean; namespace?: string[] }) =>
      run(async () => {
        if (o.allNamespaces && o.namespace) throw new UsageError('-A and -n exclude each other: -A sweeps every namespace, -n only those named');
        return validTarget(o.namespace?.length ? { kind: 'cluster', namespaces: [...new Set(o.namespace)] } : { kind: 'cluster' });
      }),
    );
  program
    .command('node-facts')
    .description("print this machine's (network namespace's) kernel networking facts, as the node agent reads them")
    .action(async () => {
      const { readNodeFacts } = await import('../agent/node-facts.js');
      const facts = await readNodeFacts();
      const json = program.opts<GlobalOptions>().output === 'json';
      io.stdout(json ? `${JSON.stringify(facts, null, 2)}\n` : formatNodeFacts(facts));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr(`${io.programName ?? 'netcheck'}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
}

/**
 * The silences for this run: the config file's, then --skip and --only as silences of their own,
 * so what they leave out is still shown and counted (as silenced), never silently dropped.
 */
async function silencesFor(opts: GlobalOptions, io: CliIo): Promise<Silence[]> {
  const { CODES } = await load('model');
  const known = new Set<string>(CODES);
  for (const [flag, codes] of [
    ['--only', opts.only],
    ['--skip', opts.skip],
  ] as const) {
    // A typo would otherwise filter nothing, silently.
    const unknown = (codes ?? []).filter((c) => !known.has(c));
    if (unknown.length) throw new UsageError(`${flag}: unknown check code ${unknown.map((c) => `"${c}"`).join(', ')} (the codes are in the README's check table)`);
  }
  const list: Silence[] = [];
  const defaultFile = join(io.cwd ?? process.cwd(), DEFAULT_CONFIG_FILE);
  const file = opts.config ?? (existsSync(defaultFile) ? defaultFile : undefined);
  if (file) {
    const { loadSilenceFile } = await load('silenceFile');
    list.push(...(await loadSilenceFile(file, opts.config ?? DEFAULT_CONFIG_FILE)));
  }
  if (opts.skip?.length) list.push({ id: '--skip', codes: [...new Set(opts.skip)], reason: 'skipped with --skip', createdBy: 'the command line' });
  if (opts.only?.length) {
    const only = new Set(opts.only);
    list.push({ id: '--only', codes: CODES.filter((c) => !only.has(c)), reason: `not among --only ${[...only].join(',')}`, createdBy: 'the command line' });
  }
  return list;
}

async function engineDeps(opts: GlobalOptions, io: CliIo, kube: KubeAccess, silences: Silence[], onPhase?: EngineDeps['onPhase']): Promise<{ deps: EngineDeps; cluster: string }> {
  const [kc, { AGENT_TIMEOUT_MS }] = await Promise.all([kube.config(), load('agentToken')]);
  const token = opts.agentTokenFile ? (await readFile(opts.agentTokenFile, 'utf8')).trim() : io.env.NETCHECK_AGENT_TOKEN;
  const cluster = kc.getCurrentContext() || 'default';
  return {
    cluster,
    deps: {
      kc,
      probes: {
        enabled: opts.probes,
        skipReason: opts.probes ? undefined : 'probes disabled with --no-probes',
        timeoutMs: opts.probeTimeout,
        concurrency: 32,
        clusterDomain: opts.clusterDomain,
        ...(opts.dnsExternalName ? { externalName: await validExternalName(opts.dnsExternalName) } : {}),
        source: { description: 'the machine running the netcheck CLI' },
        ...(opts.probeInPod ? { inPod: true } : {}),
      },
      // Reading netfilter on a node with a large ruleset takes up to a few seconds (bench:agent).
      agents: token ? { port: opts.agentPort, token, timeoutMs: Math.max(opts.probeTimeout, AGENT_TIMEOUT_MS) } : undefined,
      ...(silences.length ? { silences: { list: silences } } : {}),
      onPhase,
    },
  };
}

/** The exit code a report earns: problems below --fail-on pass CI, an unfinished check never does. */
export function exitCodeFor(status: AnyReport['status'], failOn: GlobalOptions['failOn']): number {
  if (status === 'error') return EXIT.usage;
  if (status === 'fail') return EXIT.problems;
  if (status === 'warn') return failOn === 'warn' ? EXIT.problems : EXIT.ok;
  return EXIT.ok;
}

async function diagnoseAndPrint(targetOf: () => Promise<TargetSpec>, opts: GlobalOptions, io: CliIo, kube: KubeAccess): Promise<number> {
  const format = opts.output;
  const progress = format === 'text' && io.isTTY ? spinner(io) : undefined;
  let report: AnyReport;
  try {
    const target = await targetOf();
    const silences = await silencesFor(opts, io);
    // The engine (Kubernetes client and all) loads only when a diagnosis runs: --help, usage errors
    // and node-facts stay fast.
    const [engine, ctx] = await Promise.all([load('engine'), engineDeps(opts, io, kube, silences, progress?.phase)]);
    report = await engine.run({ ...target, cluster: ctx.cluster }, ctx.deps);
  } catch (error) {
    progress?.done();
    io.stderr(`${io.programName ?? 'netcheck'}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
  progress?.done();
  const color = opts.color !== false && io.isTTY && !io.env.NO_COLOR;
  io.stdout(await render(report, format, { color, failOn: opts.failOn }));
  return exitCodeFor(report.status, opts.failOn);
}

async function render(report: AnyReport, format: OutputFormat, opts: { color: boolean; failOn: 'warn' | 'fail' }): Promise<string> {
  switch (format) {
    case 'json': {
      const { toJson, sweepToJson } = await load('renderJson');
      return `${JSON.stringify(report.kind === 'diagnosis' ? toJson(report) : sweepToJson(report), null, 2)}\n`;
    }
    case 'junit': {
      const { renderJunit } = await load('renderJunit');
      return renderJunit(report, { failOn: opts.failOn });
    }
    case 'markdown': {
      const { renderMarkdown } = await load('renderMarkdown');
      return renderMarkdown(report);
    }
    case 'text': {
      const { renderSummaryText, renderText } = await load('renderTerminal');
      return report.kind === 'diagnosis' ? renderText(report, { color: opts.color }) : renderSummaryText(report, { color: opts.color });
    }
  }
}

function spinner(io: CliIo): { phase: (p: string) => void; done: () => void } {
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  const labels: Record<string, string> = { gather: 'reading the cluster', probe: 'probing the data plane', check: 'reasoning' };
  let label = 'starting';
  let i = 0;
  const timer = setInterval(() => io.stderr(`\r${frames[i++ % frames.length]} ${label}…   `), 100);
  timer.unref();
  return {
    phase: (p) => {
      label = labels[p] ?? p;
    },
    done: () => {
      clearInterval(timer);
      io.stderr('\r\x1b[K');
    },
  };
}

function formatNodeFacts(facts: NodeKernelFacts): string {
  const show = (v: unknown) => (v === null ? 'unknown' : String(v));
  const lines = [
    `net.ipv4.ip_forward                 ${show(facts.ipForward)}`,
    `net.ipv6.conf.all.forwarding        ${show(facts.ipv6Forward)}`,
    `br_netfilter loaded                 ${show(facts.bridgeNetfilterLoaded)}`,
    `net.bridge.bridge-nf-call-iptables  ${show(facts.bridgeNfCallIptables)}`,
    `net.bridge.bridge-nf-call-ip6tables ${show(facts.bridgeNfCallIp6tables)}`,
    `conntrack                           ${facts.conntrack ? `${facts.conntrack.count}/${facts.conntrack.max}` : 'unknown'}`,
    `interfaces                          ${facts.interfaces.map((i) => `${i.name}(${i.kind}, mtu ${i.mtu})`).join(' ')}`,
    ...Object.entries(facts.unknown).map(([field, why]) => `  ${field}: ${why}`),
  ];
  return `${lines.join('\n')}\n`;
}
