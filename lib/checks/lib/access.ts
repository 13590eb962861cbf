import type { Facts } from '../../model/index.js';

/**
 * "unknown, because listing pods in shop failed (403: …)" when a list the check depends on was
 * refused; an error on a cluster-wide list covers every namespace.
 */
export function unreadable(facts: Facts, resource: string, namespace?: string): string | null {
  const error = facts.accessErrors.find((e) => e.resource === resource && (e.namespace === undefined || namespace === undefined || e.namespace === namespace));
  if (!error) return null;
  return `unknown, because ${error.verb === 'get' ? 'reading' : 'listing'} ${resource}${error.namespace ? ` in ${error.namespace}` : ''} failed (${error.status}: ${error.message})`;
}
