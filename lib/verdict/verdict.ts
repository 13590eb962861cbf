// The causal verdict: link causes to the symptoms they explain, pick the root cause, and order
// the findings so a person reads the cause first and its symptoms right under it. The links
// themselves come from the checks (`Explains`); the verdict only decides what they add up to.
import { LAYER_RANK, reportStatus, type CauseGroup, type Facts, type Finding, type FindingStatus, type Report, type RootCause, type Subject } from '../model/index.js';

/** Whether `cause` explains `symptom` with these facts: the checks' rule, handed in by the engine. */
export type Explains = (cause: Finding, symptom: Finding, facts: Facts) => boolean;

const STATUS_ORDER: FindingStatus[] = ['fail', 'warn', 'error', 'skip', 'pass'];

const layerRank = (finding: Finding): number => LAYER_RANK[finding.layer];

interface Graph {
  problems: Finding[];
  /** cause index → symptom indexes it explains directly. */
  edges: Map<number, Set<number>>;
  /** symptom index → cause indexes explaining it directly. */
  reverse: Map<number, Set<number>>;
}

function buildGraph(problems: Finding[], facts: Facts, explains: Explains): Graph {
  const edges = new Map<number, Set<number>>();
  const reverse = new Map<number, Set<number>>();
  const link = (from: number, to: number) => {
    if (!edges.has(from)) edges.set(from, new Set());
    if (!reverse.has(to)) reverse.set(to, new Set());
    edges.get(from)?.add(to);
    reverse.get(to)?.add(from);
  };
  problems.forEach((cause, i) => {
    problems.forEach((symptom, j) => {
      if (i === j || cause.code === symptom.code) return;
      if (!explains(cause, symptom, facts)) return;
      // Two findings claiming each other: the one closer to the root keeps the link.
      if (explains(symptom, cause, facts) && layerRank(symptom) <= layerRank(cause)) return;
      link(i, j);
    });
  });
  return { problems, edges, reverse };
}

function reach(graph: Graph, start: number): Set<number> {
  const seen = new Set<number>();
  const stack = [...(graph.edges.get(start) ?? [])];
  while (stack.length) {
    const next = stack.pop() as number;
    if (next === start || seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.edges.get(next) ?? []));
  }
  return seen;
}

/** Whether a finding is about the job's own target (its service), rather than something elsewhere. */
function concernsTarget(finding: Finding, facts: Facts): boolean {
  const target = facts.target;
  if (target.kind !== 'svc') return true;
  return finding.subjects.some((s) => s.kind === 'service' && s.name === target.name && s.namespace === target.namespace);
}

function chooseRoot(graph: Graph, facts: Facts): number | undefined {
  const { problems } = graph;
  const ofStatus = (status: FindingStatus) => problems.map((f, i) => ({ f, i })).filter(({ f }) => f.status === status);
  const unexplained = (list: { f: Finding; i: number }[]) => list.filter(({ i }) => !graph.reverse.get(i)?.size);
  // Unexplained failures first, then unexplained warnings (a warning may explain a failure); should
  // causes ever explain each other in a loop, leaving none unexplained, every failure competes.
  const candidates = [unexplained(ofStatus('fail')), unexplained(ofStatus('warn')), ofStatus('fail'), ofStatus('warn')].find((l) => l.length) ?? [];
  const scored = candidates.map(({ f, i }) => {
    const reached = [...reach(graph, i)].map((j) => problems[j] as Finding);
    const fails = reached.filter((r) => r.status === 'fail').length;
    const warns = reached.filter((r) => r.status === 'warn').length;
    // A fault elsewhere that explains nothing here must not outrank this service's own symptom.
    const relevant = fails + warns > 0 || concernsTarget(f, facts) ? 1 : 0;
    return { i, fails, warns, relevant, rank: layerRank(f) };
  });
  scored.sort((a, b) => b.fails - a.fails || b.warns - a.warns || b.relevant - a.relevant || a.rank - b.rank || a.i - b.i);
  return scored[0]?.i;
}

/** The cause a symptom is filed under: the root when it reaches the symptom, else the topmost ancestor. */
function originOf(graph: Graph, index: number, root: number | undefined, rootReach: Set<number>): number | undefined {
  if (!graph.reverse.get(index)?.size) return undefined;
  if (root !== undefined && rootReach.has(index)) return root;
  const seen = new Set<number>([index]);
  let current = index;
  for (;;) {
    const parents = [...(graph.reverse.get(current) ?? [])].filter((p) => !seen.has(p));
    if (parents.length === 0) return current === index ? undefined : current;
    parents.sort((a, b) => layerRank(graph.problems[a] as Finding) - layerRank(graph.problems[b] as Finding) || a - b);
    current = parents[0] as number;
    seen.add(current);
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

/** Where a cause sits, as a person would say it: the node for node/kernel causes, else the service. */
function subjectNames(finding: Finding): string {
  const preference: Subject['kind'][] =
    finding.layer === 'node' || finding.layer === 'kernel'
      ? ['node', 'service', 'port', 'pod']
      : ['service', 'dns', 'port', 'pod', 'node', 'daemonset', 'networkpolicy', 'namespace'];
  for (const kind of preference) {
    const named = finding.subjects.filter((s) => s.kind === kind);
    if (named.length) return named.map((s) => (s.namespace && kind !== 'node' ? `${s.namespace}/${s.name}` : s.name)).join(', ');
  }
  return '';
}

/** "3 of 3 endpoint connections time out — explained by ip-forward-disabled on node-2". */
export function symptomLine(symptom: Finding, cause: Finding): string {
  const where = subjectNames(cause);
  return `${symptom.title} — explained by ${cause.code}${where ? ` on ${where}` : ''}`;
}

export interface Timing {
  startedAt: string;
  durationMs: number;
}

export function buildReport(facts: Facts, findings: Finding[], timing: Timing, explains: Explains): Report {
  // A silenced problem is kept and shown, but it neither roots nor joins a causal chain.
  const problems = findings.filter((f) => (f.status === 'fail' || f.status === 'warn') && !f.silenced);
  const graph = buildGraph(problems, facts, explains);
  const root = chooseRoot(graph, facts);
  const rootReach = root === undefined ? new Set<number>() : reach(graph, root);

  const causeOf = new Map<Finding, Finding>();
  problems.forEach((symptom, i) => {
    const origin = originOf(graph, i, root, rootReach);
    if (origin !== undefined) causeOf.set(symptom, problems[origin] as Finding);
  });

  const rootFinding = root === undefined ? undefined : (problems[root] as Finding);
  const ordered: Finding[] = [];
  const groups: CauseGroup[] = [];
  const placed = new Set<Finding>();
  const place = (finding: Finding) => {
    if (placed.has(finding)) return;
    placed.add(finding);
    ordered.push(finding);
  };
  const byCausality = (a: Finding, b: Finding) => layerRank(a) - layerRank(b);
  const symptomsOf = (cause: Finding) => problems.filter((p) => causeOf.get(p) === cause).sort(byCausality);
  const placeGroup = (cause: Finding) => {
    if (placed.has(cause)) return;
    const symptoms = symptomsOf(cause).filter((s) => !placed.has(s));
    place(cause);
    symptoms.forEach(place);
    if (cause.status !== 'skip' && cause.status !== 'pass' && !cause.silenced) groups.push({ cause: cause.id, symptoms: symptoms.map((s) => s.id) });
  };
  if (rootFinding) placeGroup(rootFinding);
  for (const status of STATUS_ORDER) {
    const ofStatus = findings.filter((f) => f.status === status && !placed.has(f));
    ofStatus
      .filter((f) => !causeOf.has(f))
      .sort(byCausality)
      .forEach(placeGroup);
    // A symptom whose cause has a milder status brings its cause (and siblings) up with it.
    ofStatus.sort(byCausality).forEach((f) => placeGroup(causeOf.get(f) ?? f));
  }

  let rootCause: RootCause | null = null;
  if (rootFinding) {
    const symptoms = symptomsOf(rootFinding);
    rootCause = {
      id: rootFinding.id,
      code: rootFinding.code,
      summary: firstLine(rootFinding.detail),
      remediation: rootFinding.remediation,
      subjects: rootFinding.subjects,
      explains: [...new Set(symptoms.map((s) => s.code))],
      symptoms: symptoms.map((s) => symptomLine(s, rootFinding)),
    };
  }

  const counts: Report['counts'] = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const f of findings) counts[f.status]++;

  const output = (finding: Finding): Finding => {
    const cause = causeOf.get(finding);
    return cause ? { ...finding, explainedBy: cause.code, causeId: cause.id } : { ...finding };
  };
  const source = facts.probes.enabled && facts.probes.source ? facts.probes.source : undefined;

  return {
    kind: 'diagnosis',
    target: facts.target,
    status: reportStatus(findings),
    rootCause,
    findings: ordered.map(output),
    groups,
    counts,
    ...(source ? { source: { description: source.description, ...(source.node ? { node: source.node } : {}), ...(source.pod ? { pod: source.pod } : {}) } } : {}),
    startedAt: timing.startedAt,
    durationMs: timing.durationMs,
    ...(facts.apiRequests !== undefined ? { apiRequests: facts.apiRequests } : {}),
  };
}
