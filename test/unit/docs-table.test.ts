import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checks } from '../../lib/checks/index.js';

const docPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'checks.md');

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
      const cells = line.slice(1, -1).split(' | ').map((c) => c.trim());
      return { code: (cells[0] ?? '').replace(/`/g, ''), layer: cells[1] ?? '', meaning: cells[2] ?? '', fix: cells.slice(3).join(' | ') };
    });
}

describe('docs/checks.md', () => {
  const rows = tableRows(readFileSync(docPath, 'utf8'));

  it('lists every registered check, in registry order, with its layer', () => {
    const documented = rows.map((r) => r.code);
    const registered = checks.map((c) => c.code);
    const missing = registered.filter((c) => !documented.includes(c));
    const unknown = documented.filter((c) => !registered.includes(c));
    expect({ missing, unknown }, 'docs/checks.md is stale').toEqual({ missing: [], unknown: [] });
    expect(documented).toEqual(registered);
    for (const check of checks) {
      expect(rows.find((r) => r.code === check.code)?.layer, `layer of ${check.code}`).toBe(check.layer);
    }
  });

  it('says what each code means and how to fix it', () => {
    for (const row of rows) {
      expect(row.meaning.length, `${row.code} meaning`).toBeGreaterThan(20);
      expect(row.fix.length, `${row.code} fix`).toBeGreaterThan(10);
    }
  });
});
