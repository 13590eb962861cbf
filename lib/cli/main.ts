import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { EngineDeps } from '../engine.js';
import { AGENT_TIMEOUT_MS } from '../agent/token.js';
import { formatZodError } from '../jobs/schema.js';
import { onCluster, parseSource, targetSpecSchema, type AnyReport, type NodeKernelFacts, type TargetSource, type TargetSpec } from '../model/index.js';

// `netcheck` on a laptop or in CI: the same engine as the worker, printed as text or JSON.
// Exit codes: 0 ok, 1 warn/fail, 2 usage or access errors.

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: Record<string, string | undefined>;
  isTTY: boolean;
}

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  output: 'text' | 'json';
  probes: boolean;
  probeTimeout: number;
  clusterDomain: string;
  agentPort: number;
  agentToken?: string;
  agentTokenFile?: string;
  color?: boolean;
  probeInPod?: boolean;
}

class UsageError extends Error {}

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive whole number`);
  return n;
};

function validTarget(input: TargetSpec | Record<string, unknown>): TargetSpec {
  const parsed = targetSpecSchema.safeParse(input);
  if (!parsed.success) throw new UsageError(formatZodError(parsed.error));
  return parsed.data;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('netcheck')
    .description('Troubleshoot Kubernetes networking: a causal verdict for a Service, a node, DNS or the whole cluster.')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context to use')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-probes', 'API-level checks only (for laptops outside the cluster network); probes show as skipped')
    .option('--probe-timeout <ms>', 'TCP/DNS probe timeout', positiveInt('--probe-timeout'), 2000)
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option('--agent-port <port>', 'node agent port', positiveInt('--agent-port'), Number(io.env.NETCHECK_AGENT_PORT ?? 9807))
    .option('--agent-token-file <path>', 'file holding the node agent token (default: $NETCHECK_AGENT_TOKEN)')
    .option('--probe-in-pod', "with --from: run the TCP probes inside the client pod's network namespace, through its node's agent (the agent must run with NETCHECK_AGENT_POD_PROBES=on)")
    .option('--no-color', 'plain text output')
    .showHelpAfterError('(run netcheck --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const source = (text: string | undefined, namespace: string): { from?: TargetSource } => {
    if (text === undefined) return {};
    const parsed = parseSource(text, namespace);
    if (!parsed.ok) throw new UsageError(parsed.error);
    return { from: parsed.value };
  };
  const fromOption = '--from <source>';
  const fromHelp = "diagnose the path from this client: [<namespace>/]<pod> or [<namespace>/]<deploy|sts|ds|rs>/<name> (its namespace's policies, its node's kernel and kube-proxy rules)";
  const run = async (target: TargetSpec) => {
    const opts = program.opts<GlobalOptions>();
    exitCode = await diagnoseAndPrint(target, opts, io);
  };

  program
    .command('svc')
    .alias('service')
    .description('diagnose a Service')
    .argument('<name>', 'service name (or <namespace>/<name>)')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option(fromOption, fromHelp)
    .action(async (name: string, o: { namespace: string; from?: string }) => {
      const [ns, svc] = name.includes('/') ? (name.split('/', 2) as [string, string]) : [o.namespace, name];
      await run(validTarget({ kind: 'svc', name: svc, namespace: ns, ...source(o.from, ns) }));
    });
  program
    .command('node')
    .description('check a node: conditions, kube-proxy, CNI, kernel settings from its agent')
    .argument('<name>', 'node name')
    .action(async (name: string) => run(validTarget({ kind: 'node', name })));
  program
    .command('dns')
    .description('check cluster DNS as seen from a namespace')
    .option('-n, --namespace <namespace>', 'namespace', 'default')
    .option(fromOption, fromHelp)
    .action(async (o: { namespace: string; from?: string }) => run(validTarget({ kind: 'dns', namespace: o.namespace, ...source(o.from, o.namespace) })));
  program
    .command('cluster')
    .description('sweep every namespace: services, DNS, kube-proxy, CNI, nodes')
    .action(async () => run({ kind: 'cluster' }));
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
    io.stderr(`netcheck: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
}

async function engineDeps(opts: GlobalOptions, io: CliIo, onPhase?: EngineDeps['onPhase']): Promise<{ deps: EngineDeps; cluster: string }> {
  const { loadKubeConfig } = await import('../kube/config.js');
  const kc = loadKubeConfig({ kubeconfigPath: opts.kubeconfig ?? io.env.KUBECONFIG, context: opts.context });
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
        source: { description: 'the machine running the netcheck CLI' },
        ...(opts.probeInPod ? { inPod: true } : {}),
      },
      // Reading netfilter on a node with a large ruleset takes up to a few seconds (bench:agent).
      agents: token ? { port: opts.agentPort, token, timeoutMs: Math.max(opts.probeTimeout, AGENT_TIMEOUT_MS) } : undefined,
      onPhase,
    },
  };
}

async function diagnoseAndPrint(target: TargetSpec, opts: GlobalOptions, io: CliIo): Promise<number> {
  const json = opts.output === 'json';
  const progress = !json && io.isTTY ? spinner(io) : undefined;
  let report: AnyReport;
  // The engine (Kubernetes client and all) loads only when a diagnosis runs: --help, usage errors
  // and node-facts stay fast.
  const [engine, { toJson, sweepToJson }, { renderSummaryText, renderText }] = await Promise.all([
    import('../engine.js'),
    import('../render/json.js'),
    import('../render/terminal.js'),
  ]);
  try {
    const ctx = await engineDeps(opts, io, progress?.phase);
    report = await engine.run(onCluster(target, ctx.cluster), ctx.deps);
  } catch (error) {
    progress?.done();
    io.stderr(`netcheck: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
  progress?.done();
  const color = opts.color !== false && io.isTTY && !io.env.NO_COLOR;
  if (report.kind === 'diagnosis') {
    io.stdout(json ? `${JSON.stringify(toJson(report), null, 2)}\n` : renderText(report, { color }));
  } else {
    io.stdout(json ? `${JSON.stringify(sweepToJson(report), null, 2)}\n` : renderSummaryText(report, { color }));
  }
  switch (report.status) {
    case 'ok':
      return EXIT.ok;
    case 'error':
      return EXIT.usage;
    default:
      return EXIT.problems;
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
