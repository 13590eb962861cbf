import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checkByCode, checks, runChecks } from '../../lib/checks/index.js';
import { CODES, type Facts } from '../../lib/model/index.js';
import { buildFacts, loadScenario } from '../scenarios/load.js';
import { withContext } from '../support/with-context.js';

const scenarioDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const scenarioFiles = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml'));

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('check registry', () => {
  it('has unique kebab-case codes, https docs links and explains lists naming registered codes', () => {
    const codes = checks.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const check of checks) {
      expect(check.code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      withContext(check.code, () => expect(check.docs).toMatch(/^https:\/\/[a-z0-9.-]+\//));
      for (const symptom of check.explains ?? []) withContext(`${check.code} explains ${symptom}`, () => expect(checkByCode(symptom)).toBeDefined());
    }
  });

  it('registers exactly one check for every code of the model', () => {
    expect([...checks.map((c) => c.code)].sort()).toEqual([...CODES].sort());
  });

  it('registers every check file in lib/checks', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib', 'checks');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'types.ts')
      .map((f) => f.replace(/\.ts$/, ''));
    expect([...checks.map((c) => c.code)].sort()).toEqual(files.sort());
  });

  it('runs only the checks that apply to the target kind', () => {
    const facts = buildFacts({ kind: 'node', name: 'node-1', cluster: 'test' }, {});
    const ran = new Set(runChecks(facts).map((f) => f.code));
    expect(ran.has('api-access-denied')).toBe(true);
    expect(ran.has('selector-matches-no-pods')).toBe(false);
    expect(ran.has('clusterip-refused')).toBe(false);
  });

  it('runs only the requested codes and names unknown ones', () => {
    const facts = buildFacts({ kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' }, {});
    expect(runChecks(facts, { codes: ['service-not-found'] }).map((f) => f.code)).toEqual(['service-not-found']);
    expect(() => runChecks(facts, { codes: ['service-not-found', 'selector-typo'] })).toThrow(/unknown check code\(s\): selector-typo/);
  });

  it('turns a check that throws into an error finding instead of crashing the report', () => {
    const facts = buildFacts(
      { kind: 'svc', name: 'payments', namespace: 'shop', cluster: 'test' },
      {
        services: [{ name: 'payments', namespace: 'shop', selector: { app: 'payments' }, ports: [{ port: 80 }] }],
      },
    );
    // A gatherer bug: pods missing entirely. Pod-reading checks throw; the report must still come back.
    const broken = { ...facts, pods: undefined } as unknown as Facts;
    const findings = runChecks(broken);
    const crashed = findings.filter((f) => f.status === 'error' && /^Check \S+ crashed$/.test(f.title));
    expect(crashed.map((f) => f.code)).toContain('selector-matches-no-pods');
    expect(crashed[0]?.detail).toMatch(/the check threw: /);
    expect(findings.find((f) => f.code === 'service-not-found')?.status).toBe('pass');
  });

  it('checks are pure: frozen facts, identical results on a second run', () => {
    for (const file of scenarioFiles) {
      const facts = deepFreeze(loadScenario(join(scenarioDir, file)).facts);
      const first = runChecks(facts);
      withContext(file, () => expect(first.filter((f) => /^Check \S+ crashed$/.test(f.title))).toEqual([]));
      withContext(file, () => expect(runChecks(facts)).toEqual(first));
    }
  });

  it('every failing or warning finding carries evidence, a remediation and subjects', () => {
    for (const file of scenarioFiles) {
      for (const f of runChecks(loadScenario(join(scenarioDir, file)).facts)) {
        if (f.status !== 'fail' && f.status !== 'warn') continue;
        withContext(`${file} ${f.code} evidence`, () => expect(f.evidence.length).toBeGreaterThan(0));
        withContext(`${file} ${f.code} remediation`, () => expect(f.remediation).not.toBe(''));
        withContext(`${file} ${f.code} subjects`, () => expect(f.subjects.length).toBeGreaterThan(0));
      }
    }
  });
});
