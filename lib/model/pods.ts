import type { PodFact } from './facts.js';

/** A Job's or Helm hook's finished pod: the endpoints controller ignores it, and so does netcheck. */
export function isTerminalPod(pod: Pick<PodFact, 'phase'>): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}
