// The reading order every renderer shares: which findings are problems, which symptoms belong
// under which cause, and the one-line verdict. Slack, terminal and JSON differ only in markup.
import type { Finding } from '../checks/types.js';
import type { Target } from '../facts/types.js';
import type { Report } from '../verdict/types.js';
import type { ServiceResult, SweepReport } from '../summary/types.js';

export interface ProblemGroup {
  cause: Finding;
  /** Findings whose `explainedBy` names this cause, in report order. */
  symptoms: Finding[];
}

export interface ReportView {
  problems: ProblemGroup[];
  passes: Finding[];
  skips: Finding[];
}

const PROBLEM_STATUSES = new Set<Finding['status']>(['fail', 'warn', 'error']);

export function isProblem(finding: Finding): boolean {
  return PROBLEM_STATUSES.has(finding.status);
}

/**
 * Groups a report's findings: each problem that nothing else explains leads a group, and the
 * symptoms it explains follow it. A symptom whose cause is not among the problems stands alone,
 * so nothing is ever dropped.
 */
export function viewReport(report: Pick<Report, 'findings'>): ReportView {
  const problems = report.findings.filter(isProblem);
  const groups: ProblemGroup[] = [];
  const groupByCode = new Map<string, ProblemGroup>();
  const causeCodes = new Set(problems.map((f) => f.code));
  for (const finding of problems) {
    if (finding.explainedBy && finding.explainedBy !== finding.code && causeCodes.has(finding.explainedBy)) continue;
    const group = { cause: finding, symptoms: [] };
    groups.push(group);
    if (!groupByCode.has(finding.code)) groupByCode.set(finding.code, group);
  }
  for (const finding of problems) {
    if (!finding.explainedBy || finding.explainedBy === finding.code) continue;
    const group = groupByCode.get(finding.explainedBy);
    if (group) group.symptoms.push(finding);
    else if (!groups.some((g) => g.cause === finding)) groups.push({ cause: finding, symptoms: [] });
  }
  return {
    problems: groups,
    passes: report.findings.filter((f) => f.status === 'pass'),
    skips: report.findings.filter((f) => f.status === 'skip'),
  };
}

export function targetLabel(target: Target): string {
  switch (target.kind) {
    case 'svc':
      return `svc ${target.namespace ?? '?'}/${target.name ?? '?'}`;
    case 'node':
      return `node ${target.name ?? '?'}`;
    case 'dns':
      return target.namespace ? `dns from ${target.namespace}` : 'cluster dns';
    case 'cluster':
      return `cluster ${target.cluster}`;
  }
}

/** The one line a person reads first: the root cause, or what we found instead. */
export function verdictLine(report: Report): string {
  const label = targetLabel(report.target);
  if (report.rootCause) return report.rootCause.summary;
  const problems = report.findings.filter(isProblem);
  const first = problems[0];
  switch (report.status) {
    case 'ok':
      return `${label} looks healthy`;
    case 'error':
      return first ? `could not finish checking ${label}: ${first.title}` : `could not finish checking ${label}`;
    default:
      return first ? `${label}: ${first.title}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}` : `${label}: ${report.status}`;
  }
}

/** The fix shown next to the verdict: the root cause's, else the first problem's that has one. */
export function primaryRemediation(report: Report): string {
  if (report.rootCause?.remediation) return report.rootCause.remediation;
  return report.findings.find((f) => isProblem(f) && f.remediation !== '')?.remediation ?? '';
}

export function countsLine(counts: Partial<Record<Finding['status'], number>>): string {
  const order: Finding['status'][] = ['fail', 'error', 'warn', 'pass', 'skip'];
  const parts = order.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(' · ') : 'no checks ran';
}

/** "shop/payments" for a service result. */
export function serviceRef(result: Pick<ServiceResult, 'namespace' | 'name'>): string {
  return `${result.namespace}/${result.name}`;
}

/** The finding that stands for a problem service: its root cause's finding, else its first. */
export function leadFinding(result: ServiceResult): Finding | undefined {
  const code = result.rootCause?.code;
  return (code ? result.findings.find((f) => f.code === code) : undefined) ?? result.findings[0];
}

/** What went wrong with a service, in one line. */
export function serviceProblemLine(result: ServiceResult): string {
  if (result.rootCause) return result.rootCause.summary;
  const lead = leadFinding(result);
  return lead ? lead.title : `status ${result.status}`;
}

/** The single worst thing in a sweep: a failing cluster-wide finding outranks any one service. */
export function sweepTopProblem(sweep: SweepReport): { code: string; summary: string; remediation: string } | null {
  const clusterProblem = sweep.clusterFindings.find((f) => f.status === 'fail' || f.status === 'error') ?? sweep.clusterFindings.find((f) => f.status === 'warn');
  if (clusterProblem) return { code: clusterProblem.code, summary: clusterProblem.title, remediation: clusterProblem.remediation };
  const service = sweep.problems[0];
  if (!service) return null;
  if (service.rootCause) return { code: service.rootCause.code, summary: `${serviceRef(service)}: ${service.rootCause.summary}`, remediation: service.rootCause.remediation };
  const lead = leadFinding(service);
  return lead ? { code: lead.code, summary: `${serviceRef(service)}: ${lead.title}`, remediation: lead.remediation } : null;
}
