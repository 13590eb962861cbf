import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { withContext } from '../support/with-context.js';

// The dependency-update bot must not undo a pin the README explains: every package the pin section
// names with a bold version has a rule in renovate.json whose description starts "README pin:".

const repo = new URL('../..', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

interface Rule {
  description?: string;
  matchPackageNames?: string[];
}

function pinnedInReadme(): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('## Dependency pins and why');
  const end = readme.indexOf('\n## ', start + 1);
  withContext('README has a pin section', () => expect(start).toBeGreaterThan(0));
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/`([@\w./*-]+)` \*\*[\w.]+\*\*/g)].map((m) => m[1]!);
}

describe('renovate.json keeps the README pins', () => {
  it('has a "README pin:" rule for every pinned package', () => {
    const config = JSON.parse(read('renovate.json')) as { rangeStrategy: string; packageRules: Rule[] };
    expect(config.rangeStrategy).toBe('pin');
    const pinned = pinnedInReadme();
    expect(pinned.length).toBeGreaterThan(3);
    const covered = (name: string) =>
      config.packageRules.some(
        (rule) => rule.description?.startsWith('README pin:') && (rule.matchPackageNames ?? []).some((m) => m === name || (m.endsWith('/**') && name.startsWith(m.slice(0, -2)))),
      );
    expect(pinned.filter((name) => !covered(name))).toEqual([]);
  });
});
