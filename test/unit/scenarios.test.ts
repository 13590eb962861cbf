import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { explains, runChecks } from '../../lib/checks/index.js';
import { buildReport } from '../../lib/verdict/verdict.js';
import { loadScenario } from '../scenarios/load.js';
import { withContext } from '../support/with-context.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('scenarios', () => {
  it('has scenario fixtures to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });

  for (const file of files) {
    it(file, () => {
      const scenario = loadScenario(join(dir, file));
      const findings = runChecks(scenario.facts);
      const report = buildReport(scenario.facts, findings, { startedAt: scenario.facts.collectedAt, durationMs: 0 }, explains);
      const want = scenario.expect;
      const overview = report.findings.map((f) => `${f.code}:${f.status}${f.explainedBy ? `<-${f.explainedBy}` : ''}`).join(' ');

      withContext(overview, () => expect(report.status).toBe(want.status));
      withContext(overview, () => expect(report.rootCause?.code ?? null).toBe(want.rootCause));
      withContext('no check crashed', () => expect(findings.filter((f) => f.status === 'error' && /^Check \S+ crashed$/.test(f.title))).toEqual([]));
      // A check naming the same subjects twice numbers the repeats ("#2"): every id is the report's only one.
      withContext('finding ids are unique', () => expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length));

      for (const subject of want.rootCauseSubjects ?? []) {
        // Subjects may carry more than the fixture names (a pod's IP and node): match what it names.
        withContext(`root cause names ${subject.kind} ${subject.name}`, () =>
          expect(report.rootCause?.subjects).toContainEqual(expect.objectContaining(subject.namespace === undefined ? { kind: subject.kind, name: subject.name } : subject)),
        );
      }
      for (const [code, status] of Object.entries(want.findings ?? {})) {
        const ofCode = report.findings.filter((f) => f.code === code);
        withContext(`${code} produced a finding (${overview})`, () => expect(ofCode.length).toBeGreaterThan(0));
        withContext(`${code} status`, () => expect(ofCode.map((f) => f.status)).toContain(status));
      }
      for (const [symptom, cause] of Object.entries(want.explainedBy ?? {})) {
        const found = report.findings.find((f) => f.code === symptom && f.status !== 'pass' && f.status !== 'skip');
        withContext(`${symptom} explained by (${overview})`, () => expect(found?.explainedBy).toBe(cause));
        withContext('root cause lists what it explains', () =>
          expect(report.rootCause?.explains ?? []).toEqual(cause === report.rootCause?.code ? expect.arrayContaining([symptom]) : expect.anything()),
        );
      }
      if (want.noFailOrWarn) {
        expect(report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.code}: ${f.detail}`)).toEqual([]);
      }
      for (const text of want.summaryIncludes ?? []) {
        withContext('root cause summary', () => expect(report.rootCause?.summary).toContain(text));
      }
      // Every failing or warning finding must tell a person what to do.
      for (const f of report.findings.filter((x) => x.status === 'fail' || x.status === 'warn')) {
        withContext(`${f.code} has a remediation`, () => expect(f.remediation).not.toBe(''));
        withContext(`${f.code} has evidence`, () => expect(f.evidence.length + f.detail.length).toBeGreaterThan(0));
      }
      const rootCause = report.rootCause;
      if (rootCause) {
        withContext('root cause is listed first', () => expect(report.findings[0]?.code).toBe(rootCause.code));
      }
    });
  }
});

describe('scenario loader', () => {
  const header = 'description: broken\ntarget: { kind: svc, name: payments, namespace: shop, cluster: test }\n';
  const expectBlock = 'expect: { status: ok, rootCause: null }\n';
  const cases: [string, string, RegExp][] = [
    ['typo-in-facts-key.yaml', `${header}facts: { pod: [] }\n${expectBlock}`, /unknown facts key\(s\) pod/],
    ['pod-without-phase.yaml', `${header}facts: { pods: [{ name: p, namespace: shop, ready: true }] }\n${expectBlock}`, /facts\.pods\[0\] is missing required field "phase"/],
    ['bad-status.yaml', `${header}expect: { status: broken, rootCause: null }\n`, /expect\.status/],
    ['unknown-expect-key.yaml', `${header}expect: { status: ok, rootCause: null, rootcause: x }\n`, /rootcause/],
  ];

  for (const [name, text, message] of cases) {
    it(`rejects ${name} with a message naming the file and the field`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'netcheck-scenario-'));
      try {
        writeFileSync(join(dir, name), text);
        expect(() => loadScenario(join(dir, name))).toThrow(new RegExp(`scenario ${name.replace('.', '\\.')}: .*${message.source}`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
