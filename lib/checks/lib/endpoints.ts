import type { EndpointFact, EndpointSliceFact } from '../../model/index.js';

/** "1 endpoint is ready", "3 endpoints are ready". */
export function endpointsReady(ready: number): string {
  return ready === 1 ? '1 endpoint is ready' : `${ready} endpoints are ready`;
}

/** EndpointSlice semantics: ready=null means "unknown" and consumers must treat it as ready. */
export function isEndpointReady(endpoint: EndpointFact): boolean {
  return endpoint.ready !== false;
}

export function countEndpoints(slices: EndpointSliceFact[]): { total: number; ready: number } {
  let total = 0;
  let ready = 0;
  for (const slice of slices) {
    for (const endpoint of slice.endpoints) {
      total += endpoint.addresses.length;
      if (isEndpointReady(endpoint)) ready += endpoint.addresses.length;
    }
  }
  return { total, ready };
}

export function sliceEvidence(slice: EndpointSliceFact): string {
  const kind = slice.source === 'endpoints' ? 'endpoints' : 'endpointslice';
  const ports = slice.ports.map((p) => `${p.name ? `${p.name}:` : ''}${p.port}/${p.protocol}`).join(',') || '<no ports>';
  const endpoints = slice.endpoints.length
    ? slice.endpoints.map((e) => `${e.addresses.join(',')}${e.ready === false ? ' (not ready)' : ''}${e.targetRef ? ` ${e.targetRef.name}` : ''}`).join('; ')
    : '<none>';
  return `${kind} ${slice.namespace}/${slice.name}: ports ${ports}; endpoints ${endpoints}`;
}
