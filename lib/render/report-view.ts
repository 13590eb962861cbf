import { plural } from './mrkdwn.js';
import { targetLabel, type Finding, type Report, type ServiceResult, type SweepReport, type Target } from '../model/index.js';
// The reading order every renderer shares: which findings are problems, which symptoms belong
// under which cause, and the one-line verdict. Slack, terminal and JSON differ only in markup.

export interface ProblemGroup {
  cause: Finding;
  /** The symptoms the verdict filed under this cause, in reading order. */
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

/** The verdict's groups, with the findings they name: renderers only format what it decided. */
export function viewReport(report: Pick<Report, 'findings' | 'groups'>): ReportView {
  const byId = new Map(report.findings.map((f) => [f.id, f]));
  const problems: ProblemGroup[] = [];
  for (const group of report.groups) {
    const cause = byId.get(group.cause);
    if (!cause) continue;
    problems.push({ cause, symptoms: group.symptoms.map((id) => byId.get(id)).filter((f): f is Finding => f !== undefined) });
  }
  return {
    problems,
    passes: report.findings.filter((f) => f.status === 'pass'),
    skips: report.findings.filter((f) => f.status === 'skip'),
  };
}

/** The one line a person reads first: the root cause, or what we found instead. */
export function verdictLine(report: Report): string {
  const label = reportLabel(report.target);
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

/** A report's target as a heading reads it; a cluster sweep names its cluster. */
export function reportLabel(target: Target): string {
  return target.kind === 'cluster' ? `cluster ${target.cluster}` : targetLabel(target);
}

/** "probes from pod shop/checkout-… on node-1": which client the verdict speaks for, and its node. */
export function sourceLine(report: Pick<Report, 'source'>): string {
  const source = report.source;
  if (!source) return '';
  return `probes from ${source.description}${source.node ? ` on ${source.node}` : ' (node unknown)'}`;
}

export function countsLine(counts: Partial<Record<Finding['status'], number>>): string {
  const order: Finding['status'][] = ['fail', 'error', 'warn', 'pass', 'skip'];
  const parts = order.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(' · ') : 'no checks ran';
}

/** "shop/payments" for a service result. */
/** "3 failing, 1 unchecked (errors), 2 warning, 9 unverified of 20 services": a sweep's services by status, zeros left out. */
export function sweepServiceCounts(counts: SweepReport['counts']): string {
  const parts = [
    counts.fail > 0 ? `${counts.fail} failing` : '',
    counts.error > 0 ? `${counts.error} unchecked (errors)` : '',
    counts.warn > 0 ? `${counts.warn} warning` : '',
    counts.unverified > 0 ? `${counts.unverified} unverified` : '',
  ].filter(Boolean);
  return parts.length > 0 ? `${parts.join(', ')} of ${plural(counts.services, 'service')}` : `${plural(counts.services, 'service')} checked`;
}

export function serviceRef(result: Pick<ServiceResult, 'namespace' | 'name'>): string {
  return `${result.namespace}/${result.name}`;
}

/** The finding that stands for a problem service: its root cause's finding, else its first. */
export function leadFinding(result: ServiceResult): Finding | undefined {
  const id = result.rootCause?.id;
  return (id ? result.findings.find((f) => f.id === id) : undefined) ?? result.findings[0];
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

/**
 * The sweep's one line about what it could not verify: services that pass the API checks but
 * were not probed, and problems whose status or root cause a full diagnosis could still change.
 * Undefined when every service was diagnosed in full.
 */
export function sweepUnverifiedLine(sweep: SweepReport): string | undefined {
  const unverifiedProblems = sweep.problems.filter((p) => !p.verified).length;
  const healthy = sweep.counts.unverified;
  if (healthy === 0 && unverifiedProblems === 0) return undefined;
  const parts = [
    healthy > 0 ? `${plural(healthy, 'service')} pass${healthy === 1 ? 'es' : ''} the API checks but ${healthy === 1 ? 'is' : 'are'} unverified` : '',
    unverifiedProblems > 0 ? `${plural(unverifiedProblems, 'problem')} below ${unverifiedProblems === 1 ? 'is' : 'are'} unverified` : '',
  ].filter(Boolean);
  const probed = sweep.verification.probed > 0 ? `; ${sweep.verification.probed} probed in full` : '';
  return `${parts.join(' and ')}${probed} — ${sweep.verification.reason ?? 'not probed'}`;
}

/** "" for a service diagnosed in full; otherwise "unverified", with its own reason when it differs from the sweep's. */
export function serviceVerificationTag(result: ServiceResult, sweep: Pick<SweepReport, 'verification'>): string {
  if (result.verified) return '';
  const reason = result.unverifiedReason;
  return reason && reason !== sweep.verification.reason ? `unverified: ${reason}` : 'unverified';
}
