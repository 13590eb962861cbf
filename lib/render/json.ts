// The machine-readable contract the CLI prints (`--json`). Top-level keys `target`, `status`,
// `rootCause` and `findings`, and the keys of each finding, are a public contract: scripts parse
// them, so fields are picked explicitly rather than spread from internal objects.
import type { Finding } from '../checks/types.js';
import type { Target } from '../facts/types.js';
import type { FindingRef, SweepReport } from '../summary/types.js';
import type { Report, ReportStatus } from '../verdict/types.js';
import { isProblem, leadFinding, sweepTopProblem } from './report-view.js';

export interface JsonFinding {
  code: string;
  status: Finding['status'];
  title: string;
  detail: string;
  evidence: string[];
  remediation: string;
  docs: string;
}

export interface JsonRootCause {
  code: string;
  summary: string;
  remediation: string;
}

/** The contract every `--output json` shares: target, status, rootCause, findings. */
interface JsonEnvelope {
  target: Target;
  status: ReportStatus;
  rootCause: JsonRootCause | null;
  findings: JsonFinding[];
  cluster: string;
  startedAt: string;
  durationMs: number;
}

export interface JsonReport extends JsonEnvelope {
  counts: Record<Finding['status'], number>;
}

export interface JsonSweep extends JsonEnvelope {
  counts: SweepReport['counts'];
  changes: { since: string; added: FindingRef[]; resolved: FindingRef[] } | null;
}

function jsonFinding(f: Finding): JsonFinding {
  return { code: f.code, status: f.status, title: f.title, detail: f.detail, evidence: [...f.evidence], remediation: f.remediation, docs: f.docs };
}

export function toJson(report: Report): JsonReport {
  const root = report.rootCause;
  return {
    target: { ...report.target },
    status: report.status,
    rootCause: root ? { code: root.code, summary: root.summary, remediation: root.remediation } : null,
    findings: report.findings.map(jsonFinding),
    cluster: report.target.cluster,
    startedAt: report.startedAt,
    durationMs: report.durationMs,
    counts: { ...report.counts },
  };
}

/** A sweep in the same shape: `findings` holds cluster-wide problems, then each problem service's lead finding. */
export function sweepToJson(sweep: SweepReport): JsonSweep {
  const serviceFindings = sweep.problems.map(leadFinding).filter((f): f is Finding => f !== undefined);
  return {
    target: { kind: 'cluster', cluster: sweep.cluster },
    status: sweep.status,
    rootCause: sweepTopProblem(sweep),
    findings: [...sweep.clusterFindings.filter(isProblem), ...serviceFindings].map(jsonFinding),
    cluster: sweep.cluster,
    startedAt: sweep.startedAt,
    durationMs: sweep.durationMs,
    counts: { ...sweep.counts },
    changes: sweep.changes ? { since: sweep.changes.since, added: [...sweep.changes.added], resolved: [...sweep.changes.resolved] } : null,
  };
}
