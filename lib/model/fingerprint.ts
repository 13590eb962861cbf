import { createHash } from 'node:crypto';

// A finding's id is stable across runs (code + sorted subject keys) but can run to kilobytes when a
// finding names many pods. Stored memories (which problems an alert thread already announced)
// keep a short digest instead: 72 bits, so two different problems in one thread never collide in
// practice, and the id itself never has to fit a Slack value or a ConfigMap budget.

export function findingFingerprint(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 12);
}
