import type { LabelSelector, Labels } from './facts.js';

/** Service-style selector: every key/value must match. An empty selector matches nothing here. */
export function matchesLabels(selector: Labels, labels: Labels): boolean {
  // for-in rather than Object.entries: a sweep matches selectors against pods millions of times.
  let empty = true;
  for (const key in selector) {
    if (labels[key] !== selector[key]) return false;
    empty = false;
  }
  return !empty;
}

/** metav1.LabelSelector semantics: an empty selector ({}) matches everything. */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  // No defaults allocated and no iterators: every policy is matched against every backend pod of
  // every service in a sweep.
  const matchLabels = selector.matchLabels;
  if (matchLabels) {
    for (const key in matchLabels) if (labels[key] !== matchLabels[key]) return false;
  }
  const expressions = selector.matchExpressions;
  if (!expressions) return true;
  for (let i = 0; i < expressions.length; i++) {
    const req = expressions[i]!;
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case 'In':
        if (!has || !(req.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && (req.values ?? []).includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

export function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : '<none>';
}
