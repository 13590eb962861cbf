import { describe, expect, it } from '@jest/globals';
import type { Code, Finding, Report } from '../../lib/model/index.js';
import { renderJunit } from '../../lib/render/junit.js';
import { renderMarkdown } from '../../lib/render/markdown.js';
import { grouped, testFinding } from './report-fixtures.js';

// -o junit and -o markdown: what lands in a CI dashboard or a PR comment. Cluster strings must not
// break the XML, inject Markdown or ping anyone; silenced problems are shown as such.

const f = (code: Code, status: Finding['status'], extra: Partial<Finding> = {}): Finding =>
  testFinding(code, status, extra, {
    remediation: status === 'pass' || status === 'skip' ? '' : `fix ${code}`,
    subjects: [{ kind: 'service', name: 'payments', namespace: 'shop' }],
  });

function report(findings: Finding[], status: Report['status']): Report {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0, error: 0 };
  for (const finding of findings) counts[finding.status]++;
  return {
    kind: 'diagnosis',
    target: { kind: 'svc', namespace: 'shop', name: 'payments', cluster: 'prod' },
    status,
    rootCause: null,
    ...grouped(findings),
    counts,
    startedAt: '2026-12-01T10:00:00.000Z',
    durationMs: 42,
  };
}

const hostile = 'pod <x>&"y" @here [link](http://evil) `code` \u0007';

describe('-o junit', () => {
  const findings = [
    f('selector-matches-no-pods', 'fail', { title: `selector misses ${hostile}` }),
    f('pods-not-ready', 'warn', { title: 'one pod restarted' }),
    f('api-access-denied', 'error', { title: 'cannot list pods' }),
    f('clusterip-refused', 'skip', { detail: 'probes disabled' }),
    f('target-port-mismatch', 'pass'),
    f('no-ready-endpoints', 'fail', { silenced: { silenceId: 'ops-1', reason: 'known', expiresAt: '2030-01-01T23:59:59.999Z' } }),
  ];

  it('counts failures, errors and skips as the exit code sees them, and escapes cluster strings', () => {
    const xml = renderJunit(report(findings, 'fail'), { failOn: 'warn' });
    expect(xml).toMatch(/<testsuite name="netcheck svc on prod" tests="6" failures="2" errors="1" skipped="2" time="0.042"/);
    expect(xml).toContain('selector misses pod &lt;x&gt;&amp;&quot;y&quot;');
    expect(xml).not.toContain('\u0007');
    expect(xml).toContain('<skipped message="silenced by ops-1 until 2030-01-01: known"/>');
    // Every opened element is closed: a rough well-formedness check without an XML parser.
    expect(xml.match(/<testcase /g)?.length).toBe(6);
    expect((xml.match(/<testcase [^>]*\/>/g)?.length ?? 0) + (xml.match(/<\/testcase>/g)?.length ?? 0)).toBe(6);
  });

  it('with --fail-on fail a warning passes, with its text kept', () => {
    const xml = renderJunit(report(findings, 'fail'), { failOn: 'fail' });
    expect(xml).toMatch(/failures="1" errors="1"/);
    expect(xml).toContain('<system-out>warning (below --fail-on fail): one pod restarted');
  });
});

describe('-o markdown', () => {
  it('escapes Markdown and defuses mentions in cluster strings; lists silenced problems', () => {
    const md = renderMarkdown(
      report(
        [
          f('selector-matches-no-pods', 'fail', { title: `selector misses ${hostile}` }),
          f('no-ready-endpoints', 'fail', { title: 'no endpoints', silenced: { silenceId: 'ops-1', reason: 'known', createdBy: 'file .netcheck.yaml' } }),
        ],
        'fail',
      ),
    );
    expect(md).toMatch(/^## ❌ /);
    expect(md).toContain('\\[link\\]\\(http://evil\\)');
    expect(md).toContain('@\u200bhere');
    expect(md).not.toContain('@here');
    expect(md).toContain('\\`code\\`');
    expect(md).toMatch(/### 🔕 Silenced \(1 problem, not counted towards the status\)\n\n- ❌ \*\*no endpoints\*\*/);
    expect(md).toContain('silenced by ops\\-1 \\(file \\.netcheck\\.yaml\\): known');
  });

  it('puts a fix containing backticks in a fence longer than any run inside it', () => {
    const md = renderMarkdown(report([f('selector-matches-no-pods', 'fail', { remediation: 'echo ```x```' })], 'fail'));
    expect(md).toContain('````sh\necho ```x```\n````');
  });
});
