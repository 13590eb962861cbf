import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explains, runChecks } from '../../lib/checks/index.js';
import { buildReport } from '../../lib/verdict/verdict.js';
import { loadScenario } from '../scenarios/load.js';

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

      expect(report.status, overview).toBe(want.status);
      expect(report.rootCause?.code ?? null, overview).toBe(want.rootCause);
      expect(findings.filter((f) => f.status === 'error' && /^Check \S+ crashed$/.test(f.title)), 'no check crashed').toEqual([]);

      for (const subject of want.rootCauseSubjects ?? []) {
        // Subjects may carry more than the fixture names (a pod's IP and node): match what it names.
        expect(report.rootCause?.subjects, `root cause names ${subject.kind} ${subject.name}`).toContainEqual(
          expect.objectContaining(subject.namespace === undefined ? { kind: subject.kind, name: subject.name } : subject),
        );
      }
      for (const [code, status] of Object.entries(want.findings ?? {})) {
        const ofCode = report.findings.filter((f) => f.code === code);
        expect(ofCode.length, `${code} produced a finding (${overview})`).toBeGreaterThan(0);
        expect(ofCode.map((f) => f.status), `${code} status`).toContain(status);
      }
      for (const [symptom, cause] of Object.entries(want.explainedBy ?? {})) {
        const found = report.findings.find((f) => f.code === symptom && f.status !== 'pass' && f.status !== 'skip');
        expect(found?.explainedBy, `${symptom} explained by (${overview})`).toBe(cause);
        expect(report.rootCause?.explains ?? [], 'root cause lists what it explains').toEqual(
          cause === report.rootCause?.code ? expect.arrayContaining([symptom]) : expect.anything(),
        );
      }
      if (want.noFailOrWarn) {
        expect(report.findings.filter((f) => f.status === 'fail' || f.status === 'warn').map((f) => `${f.code}: ${f.detail}`)).toEqual([]);
      }
      for (const text of want.summaryIncludes ?? []) {
        expect(report.rootCause?.summary, 'root cause summary').toContain(text);
      }
      // Every failing or warning finding must tell a person what to do.
      for (const f of report.findings.filter((x) => x.status === 'fail' || x.status === 'warn')) {
        expect(f.remediation, `${f.code} has a remediation`).not.toBe('');
        expect(f.evidence.length + f.detail.length, `${f.code} has evidence`).toBeGreaterThan(0);
      }
      if (report.rootCause) {
        expect(report.findings[0]?.code, 'root cause is listed first').toBe(report.rootCause.code);
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

  it.each(cases)('rejects %s with a message naming the file and the field', (name, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'netcheck-scenario-'));
    try {
      writeFileSync(join(dir, name), text);
      expect(() => loadScenario(join(dir, name))).toThrow(new RegExp(`scenario ${name.replace('.', '\\.')}: .*${message.source}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
