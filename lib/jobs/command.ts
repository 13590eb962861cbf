import { isDnsLabel, isDnsSubdomain, isLookupName, parseSource, type TargetSource, type TargetSpec } from '../model/index.js';

// The `/netcheck` grammar, shared by the slash command and the `netcheck_target` alert annotation:
//   svc <name> [-n <namespace>] [--from <source>]   (also: svc <namespace>/<name>)
//   node <name>
//   dns [<name>] [-n <namespace>] [--from <source>] [--slow]
//   cluster
//   help
// `--cluster <name>` is accepted on every form.

export type ParsedCommand =
  | { ok: true; kind: 'help' }
  /** The Slack silences of this channel, each with an Unsilence button. */
  | { ok: true; kind: 'silences'; cluster?: string }
  | { ok: true; kind: 'unsilence'; silenceId: string; cluster?: string }
  | { ok: true; kind: 'target'; target: TargetSpec; cluster?: string }
  | { ok: false; error: string };

export const USAGE = [
  'Usage: /netcheck <what> [options]',
  '  svc <name> [-n <namespace>]   diagnose a Service (default namespace: default)',
  '  node <name>                   check a node: conditions, kube-proxy, CNI, kernel settings',
  '  dns [<name>] [-n <namespace>] check cluster DNS as seen from a namespace; with a name, how its',
  '                                pods resolve it (search list, ndots); --slow: the complaint is latency',
  '  cluster                       sweep the whole cluster',
  '  silences                      list the silences of this channel (made with a Silence button)',
  '  unsilence <id>                remove one (ids look like s-1a2b3c4d)',
  '  help                          show this help',
  'Options: --cluster <name> on every form picks the cluster (multi-cluster setups);',
  "  --from [<namespace>/]<pod|deploy/NAME|sts/NAME|ds/NAME|rs/NAME> on svc and dns diagnoses that client's path.",
  'Examples: /netcheck svc payments -n shop   ·   /netcheck dns api.stripe.com -n shop --from deploy/checkout --slow',
].join('\n');

const SUBCOMMANDS = new Set(['svc', 'service', 'node', 'dns', 'cluster', 'help', 'silences', 'unsilence']);
/** What the worker's Silence button writes: "s-" and 8 hex digits. */
export const SILENCE_ID = /^s-[0-9a-f]{8}$/;
const MAX_INPUT = 500;

function labelProblem(value: string, what: string): string | undefined {
  if (isDnsLabel(value)) return undefined;
  return `"${clip(value)}" is not a valid ${what}: use lowercase letters, digits and "-" (at most 63 characters, starting and ending with a letter or digit)`;
}

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);

export function parseCommand(text: string, defaults: { namespace?: string } = {}): ParsedCommand {
  if (text.length > MAX_INPUT) return { ok: false, error: `command too long (${text.length} characters, at most ${MAX_INPUT})` };
  // Slack turns "--" into an em dash on some clients; accept it so users are not punished for autocorrect.
  const tokens = text
    .replace(/[\u2014\u2013]/g, '--')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  const [rawSub, ...rest] = tokens;
  if (!rawSub) return { ok: true, kind: 'help' };
  const sub = rawSub.toLowerCase();
  if (!SUBCOMMANDS.has(sub)) return { ok: false, error: `unknown command "${clip(rawSub)}": expected svc, node, dns, cluster, silences, unsilence or help` };
  if (sub === 'help') return { ok: true, kind: 'help' };

  const positional: string[] = [];
  let namespace: string | undefined;
  let cluster: string | undefined;
  let fromText: string | undefined;
  let slow = false;
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    const takeValue = (flag: string): string | { error: string } => {
      const value = rest[++i];
      return value === undefined || value.startsWith('-') ? { error: `${flag} needs a value` } : value;
    };
    if (token === '-n' || token === '--namespace') {
      const value = takeValue(token);
      if (typeof value !== 'string') return { ok: false, ...value };
      namespace = value;
    } else if (token.startsWith('--namespace=')) {
      namespace = token.slice('--namespace='.length);
    } else if (token === '--cluster') {
      const value = takeValue(token);
      if (typeof value !== 'string') return { ok: false, ...value };
      cluster = value;
    } else if (token.startsWith('--cluster=')) {
      cluster = token.slice('--cluster='.length);
    } else if (token === '--from') {
      const value = takeValue(token);
      if (typeof value !== 'string') return { ok: false, ...value };
      fromText = value;
    } else if (token.startsWith('--from=')) {
      fromText = token.slice('--from='.length);
    } else if (token === '--slow') {
      slow = true;
    } else if (token.startsWith('-')) {
      return { ok: false, error: `unknown option "${clip(token)}"` };
    } else {
      positional.push(token);
    }
  }
  if (cluster !== undefined) {
    const problem = labelProblem(cluster, 'cluster name');
    if (problem) return { ok: false, error: problem };
  }

  if (sub === 'silences' || sub === 'unsilence') {
    if (namespace !== undefined || fromText !== undefined) return { ok: false, error: `${sub} takes only --cluster` };
    const withCluster = cluster ? { cluster } : {};
    if (sub === 'silences')
      return positional.length > 0 ? { ok: false, error: `unexpected "${clip(positional.join(' '))}" after silences` } : { ok: true, kind: 'silences', ...withCluster };
    const [id, ...more] = positional;
    if (!id) return { ok: false, error: 'unsilence needs a silence id, e.g. `unsilence s-1a2b3c4d` (`silences` lists them)' };
    if (more.length > 0) return { ok: false, error: `unexpected "${clip(more.join(' '))}" after unsilence ${clip(id)}` };
    if (!SILENCE_ID.test(id)) return { ok: false, error: `"${clip(id)}" is not a silence id: they look like s-1a2b3c4d (\`silences\` lists them)` };
    return { ok: true, kind: 'unsilence', silenceId: id, ...withCluster };
  }

  if (fromText !== undefined && sub !== 'svc' && sub !== 'service' && sub !== 'dns') return { ok: false, error: `--from goes with svc and dns, not ${sub}` };
  if (slow && sub !== 'dns') return { ok: false, error: `--slow goes with dns, not ${sub}` };
  const source = (ns: string): { from?: TargetSource } | { error: string } => {
    if (fromText === undefined) return {};
    const parsed = parseSource(fromText, ns);
    return parsed.ok ? { from: parsed.value } : { error: parsed.error };
  };

  const tooMany = (max: number) => (positional.length > max ? `unexpected "${clip(positional.slice(max).join(' '))}" after ${sub}${max ? ` ${positional[0]}` : ''}` : undefined);

  switch (sub) {
    case 'svc':
    case 'service': {
      let name = positional[0];
      if (!name) return { ok: false, error: 'svc needs a service name, e.g. `svc payments -n shop`' };
      const extra = tooMany(1);
      if (extra) return { ok: false, error: extra };
      if (name.includes('/')) {
        const [ns, svc, ...more] = name.split('/');
        if (more.length || !ns || !svc) return { ok: false, error: `"${clip(name)}" is not <namespace>/<name>` };
        if (namespace && namespace !== ns) return { ok: false, error: `namespace given twice: "${ns}/" and -n ${namespace}` };
        namespace = ns;
        name = svc;
      }
      namespace ??= defaults.namespace ?? 'default';
      const problem = labelProblem(name, 'service name') ?? labelProblem(namespace, 'namespace');
      if (problem) return { ok: false, error: problem };
      const from = source(namespace);
      if ('error' in from) return { ok: false, error: from.error };
      return { ok: true, kind: 'target', target: { kind: 'svc', name, namespace, ...from }, ...(cluster ? { cluster } : {}) };
    }
    case 'node': {
      const name = positional[0];
      if (!name) return { ok: false, error: 'node needs a node name, e.g. `node ip-10-0-1-23.ec2.internal`' };
      const extra = tooMany(1);
      if (extra) return { ok: false, error: extra };
      if (namespace) return { ok: false, error: 'nodes are not namespaced: drop -n' };
      if (!isDnsSubdomain(name)) return { ok: false, error: `"${clip(name)}" is not a valid node name: use lowercase letters, digits, "-" and "."` };
      return { ok: true, kind: 'target', target: { kind: 'node', name }, ...(cluster ? { cluster } : {}) };
    }
    case 'dns': {
      const extra = tooMany(1);
      if (extra) return { ok: false, error: extra };
      // DNS names are case-insensitive; the validated form is lowercase.
      const name = positional[0]?.toLowerCase();
      if (name !== undefined && !isLookupName(name))
        return { ok: false, error: `"${clip(positional[0] ?? '')}" is not a DNS name to look up: use letters, digits, "-" and ".", optionally ending in "." (api.stripe.com.)` };
      namespace ??= defaults.namespace ?? 'default';
      const problem = labelProblem(namespace, 'namespace');
      if (problem) return { ok: false, error: problem };
      const from = source(namespace);
      if ('error' in from) return { ok: false, error: from.error };
      const lookup = { ...(name !== undefined ? { name } : {}), ...(slow ? { slow } : {}) };
      return { ok: true, kind: 'target', target: { kind: 'dns', namespace, ...from, ...lookup }, ...(cluster ? { cluster } : {}) };
    }
    default: {
      const extra = tooMany(0);
      if (extra) return { ok: false, error: extra };
      if (namespace) return { ok: false, error: 'cluster sweeps all namespaces: drop -n' };
      return { ok: true, kind: 'target', target: { kind: 'cluster' }, ...(cluster ? { cluster } : {}) };
    }
  }
}
