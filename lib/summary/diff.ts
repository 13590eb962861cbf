import { compareText, type Finding, type FindingRef, type Subject, type SweepReport } from '../model/index.js';

// What changed between two daily summaries. A problem's identity is (code, subject): the same
// check failing on the same object is the same problem, whatever its title or detail says today.

const PROBLEM: ReadonlySet<Finding['status']> = new Set(['fail', 'error', 'warn']);
const SEVERITY: Record<Finding['status'], number> = { fail: 4, error: 3, warn: 2, skip: 1, pass: 0 };
const MAX_TITLE = 200;

/** "shop/payments" for namespaced subjects, the bare name for nodes and other cluster-scoped ones. */
export function subjectLabel(subject: Pick<Subject, 'name' | 'namespace'>): string {
  return subject.namespace ? `${subject.namespace}/${subject.name}` : subject.name;
}

const identity = (ref: Pick<FindingRef, 'code' | 'subject'>) => `${ref.code}\u0000${ref.subject}`;

/**
 * The sweep's problems as refs: each warn/fail/error cluster finding once per subject (so a fix on
 * one of three nodes shows up as resolved there), and each problem service's findings with the
 * service as subject. Pass and skip are not problems. Duplicates keep the worst status; the
 * result is sorted by code, then subject, so stored summaries are stable.
 */
export function toFindingRefs(sweep: SweepReport): FindingRef[] {
  const refs = new Map<string, FindingRef>();
  const add = (finding: Finding, subject: string) => {
    const ref: FindingRef = { code: finding.code, subject, status: finding.status, title: finding.title.slice(0, MAX_TITLE) };
    const key = identity(ref);
    const existing = refs.get(key);
    if (!existing || SEVERITY[ref.status] > SEVERITY[existing.status]) refs.set(key, ref);
  };
  for (const finding of sweep.clusterFindings) {
    if (!PROBLEM.has(finding.status)) continue;
    if (finding.subjects.length === 0) add(finding, 'cluster');
    for (const subject of finding.subjects) add(finding, subjectLabel(subject));
  }
  for (const service of sweep.problems) {
    const subject = subjectLabel(service);
    for (const finding of service.findings) if (PROBLEM.has(finding.status)) add(finding, subject);
  }
  return [...refs.values()].sort((a, b) => compareText(a.code, b.code) || compareText(a.subject, b.subject));
}

export interface FindingsDiff {
  /** Problems present now and not in the previous summary. */
  added: FindingRef[];
  /** Problems of the previous summary that are gone now. */
  resolved: FindingRef[];
  /**
   * Same problem, different status (e.g. fail → warn): neither new nor resolved, reported so a
   * summary can say "payments: fail → warn". `ref` is the current one.
   */
  changed: { ref: FindingRef; previousStatus: FindingRef['status'] }[];
}

export function diffFindings(previous: FindingRef[], current: FindingRef[]): FindingsDiff {
  const before = new Map(previous.map((ref) => [identity(ref), ref]));
  const now = new Map(current.map((ref) => [identity(ref), ref]));
  const added: FindingRef[] = [];
  const changed: FindingsDiff['changed'] = [];
  for (const [key, ref] of now) {
    const old = before.get(key);
    if (!old) added.push(ref);
    else if (old.status !== ref.status) changed.push({ ref, previousStatus: old.status });
  }
  const resolved = [...before].filter(([key]) => !now.has(key)).map(([, ref]) => ref);
  return { added, resolved, changed };
}
