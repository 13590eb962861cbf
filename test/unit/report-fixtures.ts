import { checkByCode } from '../../lib/checks/index.js';
import type { CauseGroup, Code, Finding } from '../../lib/model/index.js';

// Hand-built findings and reports for renderer tests: the verdict's grouping is stated in the
// fixture (a symptom names its cause's code in `explainedBy`) and turned into ids here.

export function testFinding(code: Code, status: Finding['status'], extra: Partial<Finding> = {}, defaults: Partial<Finding> = {}): Finding {
  const title = extra.title ?? `${code} title`;
  return {
    id: `${code}:${title}`,
    code,
    layer: checkByCode(code)?.layer ?? 'dataplane',
    status,
    title,
    detail: `${code} detail`,
    evidence: [],
    remediation: status === 'pass' || status === 'skip' ? '' : `fix-${code}`,
    docs: `https://netcheck.dev/docs/${code}`,
    subjects: [],
    ...defaults,
    ...extra,
  };
}

/** The verdict's groups for findings whose symptoms name their cause by code; causeIds filled in. */
export function grouped(findings: Finding[]): { findings: Finding[]; groups: CauseGroup[] } {
  const problems = (f: Finding) => f.status === 'fail' || f.status === 'warn' || f.status === 'error';
  const causeOf = (f: Finding) => (f.explainedBy ? findings.find((c) => c.code === f.explainedBy && !c.explainedBy && c !== f) : undefined);
  const withIds = findings.map((f) => {
    const cause = causeOf(f);
    return cause ? { ...f, causeId: cause.id } : f;
  });
  const groups: CauseGroup[] = [];
  for (const f of withIds) {
    if (!problems(f) || f.causeId) continue;
    groups.push({ cause: f.id, symptoms: withIds.filter((s) => s.causeId === f.id).map((s) => s.id) });
  }
  return { findings: withIds, groups };
}
