import type { Labels, PodFact } from './facts.js';
import { ObjectCache } from './object-cache.js';

/** A Job's or Helm hook's finished pod: the endpoints controller ignores it, and so does netcheck. */
export function isTerminalPod(pod: Pick<PodFact, 'phase'>): boolean {
  return pod.phase === 'Succeeded' || pod.phase === 'Failed';
}

/** label key → label value → the pods carrying it, per pod list; built for the keys selectors ask about. */
const labelIndexes = new ObjectCache<readonly PodFact[], Map<string, Map<string, PodFact[]>>>();
const NO_PODS: PodFact[] = [];

function podsLabelled(pods: readonly PodFact[], key: string, value: string): PodFact[] {
  let index = labelIndexes.get(pods);
  if (!index) labelIndexes.set(pods, (index = new Map()));
  let byValue = index.get(key);
  if (!byValue) {
    index.set(key, (byValue = new Map()));
    // Nested maps rather than "key=value" strings: no string is built per pod.
    for (const pod of pods) {
      const v = pod.labels[key];
      if (v === undefined) continue;
      const list = byValue.get(v);
      if (list) list.push(pod);
      else byValue.set(v, [pod]);
    }
  }
  return byValue.get(value) ?? NO_PODS;
}

/**
 * The pods of `namespace` in `pods` that a Service-style selector matches (every key and value; an
 * empty selector matches nothing), in list order. The list is indexed by label on first use, so a
 * sweep's 50 services of a namespace each find their pods among its 500 without a scan. Callers
 * must not modify the result.
 */
export function podsSelectedBy(pods: readonly PodFact[], namespace: string, selector: Labels): PodFact[] {
  let smallest: PodFact[] | undefined;
  for (const key in selector) {
    const list = podsLabelled(pods, key, selector[key] as string);
    if (list.length === 0) return NO_PODS;
    if (!smallest || list.length < smallest.length) smallest = list;
  }
  if (!smallest) return NO_PODS;
  return smallest.filter((pod) => {
    if (pod.namespace !== namespace) return false;
    for (const key in selector) if (pod.labels[key] !== selector[key]) return false;
    return true;
  });
}
