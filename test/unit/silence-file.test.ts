import { describe, expect, it } from '@jest/globals';
import { applySilences, type Finding } from '../../lib/model/index.js';
import { parseSilenceFile } from '../../lib/silences/file.js';

// The silence file (.netcheck.yaml, and the chart's `silences` value): what a person wrote becomes
// silences the engine applies, and every mistake names the file, the line and the field.

const problem = (code: Finding['code'], namespace: string, name: string): Finding => ({
  id: `${code}@service/${namespace}/${name}`,
  code,
  layer: 'workload',
  status: 'fail',
  title: `${code} on ${namespace}/${name}`,
  detail: '',
  evidence: [],
  remediation: '',
  docs: '',
  subjects: [{ kind: 'service', namespace, name }],
});

describe('silence file', () => {
  it('turns entries into silences with ids, matchers, reason and an end-of-day expiry', () => {
    const silences = parseSilenceFile(
      [
        'silences:',
        '  - id: payments-typo',
        '    codes: [selector-matches-no-pods]',
        '    namespace: shop',
        '    name: /^pay/',
        '    reason: fix in OPS-1',
        '    expires: 2030-01-31',
        '  - kind: node',
        '    labels: { pool: spot }',
        '    reason: spot nodes come and go',
      ].join('\n'),
      '.netcheck.yaml',
    );
    expect(silences).toEqual([
      {
        id: 'payments-typo',
        codes: ['selector-matches-no-pods'],
        namespace: 'shop',
        name: '/^pay/',
        reason: 'fix in OPS-1',
        expiresAt: '2030-01-31T23:59:59.999Z',
        createdBy: 'file .netcheck.yaml',
      },
      { id: '.netcheck.yaml#2', kind: 'node', labels: { pool: 'spot' }, reason: 'spot nodes come and go', createdBy: 'file .netcheck.yaml' },
    ]);
    const outcome = applySilences([problem('selector-matches-no-pods', 'shop', 'payments'), problem('selector-matches-no-pods', 'web', 'payments')], silences, {
      now: new Date('2030-01-31T12:00:00Z'),
    });
    expect(outcome.silenced).toBe(1);
    expect(outcome.findings[0]!.silenced).toMatchObject({ silenceId: 'payments-typo', reason: 'fix in OPS-1' });
    expect(outcome.findings[1]!.silenced).toBeUndefined();
    // The day after its expiry date the silence no longer holds, and says so.
    const later = applySilences([problem('selector-matches-no-pods', 'shop', 'payments')], silences, { now: new Date('2030-02-01T00:00:01Z') });
    expect(later.silenced).toBe(0);
    expect(later.expired).toEqual([{ silenceId: 'payments-typo', reason: 'fix in OPS-1', expiredAt: '2030-01-31T23:59:59.999Z' }]);
  });

  it('an empty file or an empty list silences nothing', () => {
    expect(parseSilenceFile('', 'f.yaml')).toEqual([]);
    expect(parseSilenceFile('silences: []\n', 'f.yaml')).toEqual([]);
  });

  const errorOf = (text: string): string => {
    try {
      parseSilenceFile(text, '.netcheck.yaml');
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected the file to be rejected');
  };

  it('names the file, line and field of each mistake', () => {
    expect(errorOf('silences:\n  - namespace: shop\n    codes: [selector-matches-no-pod]\n    reason: x\n')).toMatch(
      /^\.netcheck\.yaml:3: silences\[0\]\.codes\[0\]: unknown check code "selector-matches-no-pod"/,
    );
    expect(errorOf('silences:\n  - namespace: shop\n    reason: x\n    expires: next week\n')).toMatch(/^\.netcheck\.yaml:4: silences\[0\]\.expires: must be an ISO 8601 date/);
    expect(errorOf('silences:\n  - namespace: shop\n    name: "/[a/"\n    reason: x\n')).toMatch(/^\.netcheck\.yaml:3: silences\[0\]\.name: not a valid regular expression/);
    expect(errorOf('silences:\n  - namespace: shop\n')).toMatch(/silences\[0\]\.reason: required/);
    expect(errorOf('silences:\n  - namespace: shop\n    reason: x\n    namepsace: web\n')).toMatch(/silences\[0\]: Unrecognized key: "namepsace"/);
    expect(errorOf('silence:\n  - reason: x\n')).toMatch(/^\.netcheck\.yaml:1: \(top level\): Unrecognized key: "silence"/);
    expect(errorOf('silences: [\n')).toMatch(/^\.netcheck\.yaml:\d+:\d+: /);
  });

  it('refuses a silence that names nothing (it would mute everything) and ids used twice', () => {
    expect(errorOf('silences:\n  - reason: everything is fine\n')).toMatch(/must name codes or an object/);
    expect(errorOf('silences:\n  - id: a\n    namespace: x\n    reason: r\n  - id: a\n    namespace: y\n    reason: r\n')).toMatch(/"a" is used twice/);
  });
});
