import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { checks } from '../../lib/checks/index.js';
import { withContext } from '../support/with-context.js';

const readmePath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');

/** The README's "## Checks" section, up to the next top-level section. */
function checksSection(markdown: string): string {
  const start = markdown.indexOf('\n## Checks\n');
  if (start < 0) throw new Error('README.md has no "## Checks" section');
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

interface Row {
  code: string;
  layer: string;
  meaning: string;
  fix: string;
}

function tableRows(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      // Cells are split on " | "; the table's texts never contain that sequence.
      const cells = line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim());
      return { code: (cells[0] ?? '').replace(/`/g, ''), layer: cells[1] ?? '', meaning: cells[2] ?? '', fix: cells.slice(3).join(' | ') };
    });
}

describe('README check table', () => {
  const rows = tableRows(checksSection(readFileSync(readmePath, 'utf8')));

  it('lists every registered check, in registry order, with its layer', () => {
    const documented = rows.map((r) => r.code);
    const registered: string[] = checks.map((c) => c.code);
    const missing = registered.filter((c) => !documented.includes(c));
    const unknown = documented.filter((c) => !registered.includes(c));
    withContext('the README check table is stale', () => expect({ missing, unknown }).toEqual({ missing: [], unknown: [] }));
    expect(documented).toEqual(registered);
    for (const check of checks) {
      withContext(`layer of ${check.code}`, () => expect(rows.find((r) => r.code === check.code)?.layer).toBe(check.layer));
    }
  });

  it('says what each code means and how to fix it', () => {
    for (const row of rows) {
      withContext(`${row.code} meaning`, () => expect(row.meaning.length).toBeGreaterThan(20));
      withContext(`${row.code} fix`, () => expect(row.fix.length).toBeGreaterThan(10));
    }
  });
});
