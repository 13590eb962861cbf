// Report → JUnit XML (`-o junit`), which CI systems show as test results: one test case per
// check finding (per service problem in a sweep). Problems at or above --fail-on are failures,
// access errors are errors, skips and silenced problems are skipped with the reason, so a CI
// dashboard agrees with the exit code.
import { serviceRef } from './report-view.js';
import { silenceNote } from './silences.js';
import type { AnyReport, Finding } from '../model/index.js';

export interface JunitOptions {
  failOn: 'warn' | 'fail';
}

/** XML 1.0 allows no control characters but tab and newlines; the rest are dropped, then escaped. */
function xml(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

interface Case {
  name: string;
  classname: string;
  body: string;
  outcome: 'pass' | 'failure' | 'error' | 'skipped';
}

function findingCase(finding: Finding, classname: string, opts: JunitOptions): Case {
  const name = `${finding.code}: ${finding.title}`;
  const text = [finding.detail, ...finding.evidence, finding.remediation ? `fix: ${finding.remediation}` : ''].filter(Boolean).join('\n');
  if (finding.silenced) return { name, classname, outcome: 'skipped', body: `<skipped message="${xml(silenceNote(finding.silenced))}"/>` };
  switch (finding.status) {
    case 'pass':
      return { name, classname, outcome: 'pass', body: '' };
    case 'skip':
      return { name, classname, outcome: 'skipped', body: `<skipped message="${xml(finding.detail)}"/>` };
    case 'error':
      return { name, classname, outcome: 'error', body: `<error message="${xml(finding.title)}" type="error">${xml(text)}</error>` };
    case 'warn':
      if (opts.failOn === 'fail') return { name, classname, outcome: 'pass', body: `<system-out>${xml(`warning (below --fail-on fail): ${finding.title}\n${text}`)}</system-out>` };
      return { name, classname, outcome: 'failure', body: `<failure message="${xml(finding.title)}" type="warn">${xml(text)}</failure>` };
    case 'fail':
      return { name, classname, outcome: 'failure', body: `<failure message="${xml(finding.title)}" type="fail">${xml(text)}</failure>` };
  }
}

function suite(name: string, cases: Case[], durationMs: number, timestamp: string): string {
  const count = (o: Case['outcome']) => cases.filter((c) => c.outcome === o).length;
  const head = `  <testsuite name="${xml(name)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${(durationMs / 1000).toFixed(3)}" timestamp="${xml(timestamp)}">`;
  const body = cases.map((c) =>
    c.body ? `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}">${c.body}</testcase>` : `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}"/>`,
  );
  return [head, ...body, '  </testsuite>'].join('\n');
}

export function renderJunit(report: AnyReport, opts: JunitOptions): string {
  const suites: string[] = [];
  if (report.kind === 'diagnosis') {
    const t = report.target;
    const classname = `netcheck.${t.cluster}.${t.kind}${'namespace' in t ? `.${t.namespace}` : ''}${'name' in t ? `.${t.name}` : ''}`;
    suites.push(
      suite(
        `netcheck ${t.kind} on ${t.cluster}`,
        report.findings.map((f) => findingCase(f, classname, opts)),
        report.durationMs,
        report.startedAt,
      ),
    );
  } else {
    const cluster = report.clusterFindings.map((f) => findingCase(f, `netcheck.${report.cluster}.cluster`, opts));
    // A sweep keeps only the problems of each service (10k services must stay small).
    const services = report.problems.flatMap((p) => p.findings.map((f) => findingCase(f, `netcheck.${report.cluster}.svc.${serviceRef(p).replace('/', '.')}`, opts)));
    const healthy: Case = { name: `${report.counts.ok} of ${report.counts.services} services ok`, classname: `netcheck.${report.cluster}.cluster`, outcome: 'pass', body: '' };
    suites.push(suite(`netcheck cluster ${report.cluster}`, [healthy, ...cluster, ...services], report.durationMs, report.startedAt));
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="netcheck">\n${suites.join('\n')}\n</testsuites>\n`;
}
