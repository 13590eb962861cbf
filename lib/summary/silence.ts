import { applySilences, reportStatus, type ExpiredSilence, type ServiceResult, type Silence, type SilenceContext, type SweepReport } from '../model/index.js';
import { worst } from './sweep.js';

// Silences over a finished sweep: the sweep keeps no facts once a namespace is checked, so the
// silences apply to what it reports. A service whose every problem is silenced leaves the problem
// list and is named in `silences.services` instead — counted, never dropped.

export function silenceSweep(report: SweepReport, silences: readonly Silence[], context: SilenceContext): SweepReport {
  const expired = new Map<string, ExpiredSilence>();
  const note = (list: readonly ExpiredSilence[]) => list.forEach((e) => expired.set(e.silenceId, e));
  let silenced = 0;

  const cluster = applySilences(report.clusterFindings, silences, context);
  silenced += cluster.silenced;
  note(cluster.expired);

  const counts = { ...report.counts };
  const problems: ServiceResult[] = [];
  const quiet: string[] = [];
  for (const problem of report.problems) {
    const outcome = applySilences(problem.findings, silences, context);
    note(outcome.expired);
    if (outcome.silenced === 0) {
      problems.push(problem);
      continue;
    }
    silenced += outcome.silenced;
    const status = reportStatus(outcome.findings);
    counts[problem.status]--;
    // A silenced warning proves nothing healthy: an unprobed service stays unverified.
    counts[status === 'ok' && !problem.verified ? 'unverified' : status]++;
    const rootSilenced = outcome.findings.some((f) => f.silenced && f.id === problem.rootCause?.id);
    const result: ServiceResult = { ...problem, status, rootCause: rootSilenced ? null : problem.rootCause, findings: outcome.findings };
    if (status === 'ok') quiet.push(`${problem.namespace}/${problem.name}`);
    else problems.push(result);
  }
  return {
    ...report,
    status: worst([reportStatus(cluster.findings), ...problems.map((p) => p.status)]),
    counts,
    clusterFindings: cluster.findings,
    problems,
    silences: { silenced, expired: [...expired.values()], ...(quiet.length ? { services: quiet } : {}) },
  };
}
