// The machine-readable contract the CLI prints (`--json`). Top-level keys `target`, `status`,
// `rootCause` and `findings`, and the keys of each finding, are a public contract: scripts parse
// them, so fields are picked explicitly rather than spread from internal objects.
import { isProblem, leadFinding, sweepTopProblem } from './report-view.js';
import type {
  CauseGroup,
  Code,
  Finding,
  FindingRef,
  Layer,
  ProbeOrigin,
  Report,
  ReportStatus,
  RootCause,
  SilenceMark,
  SilenceSummary,
  Subject,
  SweepReport,
  Target,
} from '../model/index.js';

export interface JsonFinding {
  /** Stable across runs: code plus subjects. */
  id: string;
  code: Code;
  layer: Layer;
  status: Finding['status'];
  title: string;
  detail: string;
  evidence: string[];
  remediation: string;
  docs: string;
  /** What the finding is about, as data: namespace, service, pod (+ IP, node), node, port, policy. */
  subjects: Subject[];
  /** The code and id of the finding that explains this one, when the verdict filed it under a cause. */
  explainedBy?: Code;
  causeId?: string;
  /** Present when a live silence holds this problem: it is reported, but sets neither status nor root cause. */
  silenced?: SilenceMark;
}

export interface JsonRootCause {
  id?: string;
  code: string;
  summary: string;
  remediation: string;
  subjects?: Subject[];
  explains?: Code[];
}

/** The contract every `--output json` shares: kind, target, status, rootCause, findings. */
interface JsonEnvelope {
  kind: 'diagnosis' | 'sweep';
  target: Target;
  status: ReportStatus;
  rootCause: JsonRootCause | null;
  findings: JsonFinding[];
  cluster: string;
  startedAt: string;
  durationMs: number;
  /** When silences were given: how many problems they hold, those that expired, fully silenced services (sweeps). */
  silences: SilenceSummary | null;
}

export interface JsonReport extends JsonEnvelope {
  counts: Record<Finding['status'], number>;
  /** Problems grouped by cause (finding ids), root cause first. */
  groups: CauseGroup[];
  /** Where the probes started and the node their packets left from. */
  source: ProbeOrigin | null;
}

/** One problem service of a sweep: its status, root cause, and whether a full diagnosis stands behind them. */
export interface JsonSweepService {
  namespace: string;
  name: string;
  status: ReportStatus;
  rootCause: JsonRootCause | null;
  /** false: the API checks only — `netcheck svc` may still find a failure, or another root cause. */
  verified: boolean;
  unverifiedReason: string | null;
}

export interface JsonSweep extends JsonEnvelope {
  /** `ok` counts verified services only; `unverified` those that pass the API checks but were not probed. */
  counts: SweepReport['counts'];
  changes: { since: string; added: FindingRef[]; resolved: FindingRef[] } | null;
  /** Every problem service, worst first. */
  services: JsonSweepService[];
  /** What the sweep could not see ("unknown, because …", namespaced mode); null: the whole cluster. */
  unseen: string | null;
  verification: { probed: number; limit: number; reason: string | null };
}

function jsonFinding(f: Finding): JsonFinding {
  return {
    id: f.id,
    code: f.code,
    layer: f.layer,
    status: f.status,
    title: f.title,
    detail: f.detail,
    evidence: [...f.evidence],
    remediation: f.remediation,
    docs: f.docs,
    subjects: f.subjects.map((s) => ({ ...s })),
    ...(f.explainedBy ? { explainedBy: f.explainedBy } : {}),
    ...(f.causeId ? { causeId: f.causeId } : {}),
    ...(f.silenced ? { silenced: { ...f.silenced } } : {}),
  };
}

function jsonRootCause(root: RootCause | null): JsonRootCause | null {
  return root
    ? { id: root.id, code: root.code, summary: root.summary, remediation: root.remediation, subjects: root.subjects.map((s) => ({ ...s })), explains: [...root.explains] }
    : null;
}

export function toJson(report: Report): JsonReport {
  return {
    kind: 'diagnosis',
    target: { ...report.target },
    status: report.status,
    rootCause: jsonRootCause(report.rootCause),
    findings: report.findings.map(jsonFinding),
    cluster: report.target.cluster,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    counts: { ...report.counts },
    groups: report.groups.map((g) => ({ cause: g.cause, symptoms: [...g.symptoms] })),
    source: report.source ? { ...report.source } : null,
    silences: jsonSilences(report.silences),
  };
}

/** A sweep in the same shape: `findings` holds cluster-wide problems, then each problem service's lead finding. */
export function sweepToJson(sweep: SweepReport): JsonSweep {
  const serviceFindings = sweep.problems.map(leadFinding).filter((f): f is Finding => f !== undefined);
  return {
    kind: 'sweep',
    target: { kind: 'cluster', cluster: sweep.cluster },
    status: sweep.status,
    rootCause: sweepTopProblem(sweep),
    findings: [...sweep.clusterFindings.filter(isProblem), ...serviceFindings].map(jsonFinding),
    cluster: sweep.cluster,
    startedAt: sweep.startedAt,
    durationMs: sweep.durationMs,
    counts: { ...sweep.counts },
    changes: sweep.changes ? { since: sweep.changes.since, added: [...sweep.changes.added], resolved: [...sweep.changes.resolved] } : null,
    services: sweep.problems.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      status: p.status,
      rootCause: jsonRootCause(p.rootCause),
      verified: p.verified,
      unverifiedReason: p.verified ? null : (p.unverifiedReason ?? sweep.verification.reason ?? null),
    })),
    verification: { probed: sweep.verification.probed, limit: sweep.verification.limit, reason: sweep.verification.reason ?? null },
    unseen: sweep.unseen ?? null,
    silences: jsonSilences(sweep.silences),
  };
}

function jsonSilences(summary: SilenceSummary | undefined): SilenceSummary | null {
  if (!summary) return null;
  return { silenced: summary.silenced, expired: summary.expired.map((e) => ({ ...e })), ...(summary.services ? { services: [...summary.services] } : {}) };
}
