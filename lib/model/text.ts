/**
 * The order of String.prototype.localeCompare (default locale and options), from one collator
 * instead of one per call: sorting pod names for 10k services made localeCompare a visible cost.
 */
export const compareText: (a: string, b: string) => number = new Intl.Collator().compare;

/** Levenshtein distance: how many single-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * Candidates a person plausibly meant when typing `wanted`: a typo (small edit distance relative to
 * the length) or one name containing the other (payments vs payments-api). Closest first.
 */
export function closeMatches(wanted: string, candidates: Iterable<string>, limit = 3): string[] {
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  const scored: { name: string; distance: number }[] = [];
  for (const name of new Set(candidates)) {
    if (name === wanted) continue;
    const distance = editDistance(wanted, name);
    const contains = name.includes(wanted) || wanted.includes(name);
    if (distance <= allowed || (contains && Math.min(name.length, wanted.length) >= 3)) {
      scored.push({ name, distance });
    }
  }
  scored.sort((x, y) => x.distance - y.distance || compareText(x.name, y.name));
  return scored.slice(0, limit).map((s) => s.name);
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
