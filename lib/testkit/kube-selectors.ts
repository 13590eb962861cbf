// labelSelector and fieldSelector query parameters, parsed the way the API server does so tests
// catch a gatherer that sends a selector Kubernetes would reject or read differently.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

type LabelRequirement = { key: string; op: 'eq' | 'neq'; value: string } | { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | 'notexists' };

export type LabelMatcher = (labels: Record<string, string> | undefined) => boolean;

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Split on commas that are not inside "(…)": `a in (x,y),b` → ["a in (x,y)", "b"]. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseRequirement(term: string): Parsed<LabelRequirement> {
  const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const [, key, op, list] = setMatch as unknown as [string, string, 'in' | 'notin', string];
    const values = list.split(',').map((v) => v.trim());
    if (!LABEL_KEY.test(key)) return { ok: false, error: `invalid label key "${key}"` };
    const bad = values.find((v) => !LABEL_VALUE.test(v));
    if (bad !== undefined) return { ok: false, error: `invalid label value "${bad}"` };
    return { ok: true, value: { key, op, values } };
  }
  const cmp = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const [, key, op, value] = cmp as unknown as [string, string, string, string];
    if (!LABEL_KEY.test(key)) return { ok: false, error: `invalid label key "${key}"` };
    if (!LABEL_VALUE.test(value)) return { ok: false, error: `invalid label value "${value}"` };
    return { ok: true, value: { key, op: op === '!=' ? 'neq' : 'eq', value } };
  }
  const notExists = /^!\s*(\S+)$/.exec(term);
  if (notExists) {
    const key = notExists[1] as string;
    if (!LABEL_KEY.test(key)) return { ok: false, error: `invalid label key "${key}"` };
    return { ok: true, value: { key, op: 'notexists' } };
  }
  if (LABEL_KEY.test(term)) return { ok: true, value: { key: term, op: 'exists' } };
  return { ok: false, error: `unable to parse requirement: "${term}"` };
}

function satisfies(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'eq':
      return has && value === req.value;
    case 'neq':
      return !has || value !== req.value;
    case 'in':
      return has && req.values.includes(value as string);
    case 'notin':
      return !has || !req.values.includes(value as string);
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

export function parseLabelSelector(input: string): Parsed<LabelMatcher> {
  const requirements: LabelRequirement[] = [];
  for (const term of splitTopLevel(input)) {
    const parsed = parseRequirement(term);
    if (!parsed.ok) return parsed;
    requirements.push(parsed.value);
  }
  return { ok: true, value: (labels) => requirements.every((r) => satisfies(r, labels ?? {})) };
}

/** Field paths the real API server supports for the resources we serve (a subset of each kind's list). */
const FIELD_PATHS: Record<string, (obj: KubeObjectLike) => string | undefined> = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
  'spec.nodeName': (o) => (o.spec?.nodeName as string | undefined) ?? '',
  'status.phase': (o) => (o.status?.phase as string | undefined) ?? '',
  'status.podIP': (o) => (o.status?.podIP as string | undefined) ?? '',
  'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
  'involvedObject.name': (o) => o.involvedObject?.name ?? '',
  'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
  'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
  reason: (o) => (typeof o.reason === 'string' ? o.reason : ''),
  type: (o) => (typeof o.type === 'string' ? o.type : ''),
  source: (o) => o.source?.component ?? '',
  reportingComponent: (o) => (typeof o.reportingComponent === 'string' ? o.reportingComponent : ''),
};
const FIELDS_BY_RESOURCE: Record<string, string[]> = {
  pods: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase', 'status.podIP'],
  // The core/v1 Event's selectable fields, as the real server's event strategy lists them.
  events: [
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.name',
    'involvedObject.namespace',
    'involvedObject.uid',
    'reason',
    'type',
    'source',
    'reportingComponent',
  ],
};
const GENERIC_FIELDS = ['metadata.name', 'metadata.namespace'];

export interface KubeObjectLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  /** Events only. */
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: unknown;
  type?: unknown;
  source?: { component?: string };
  reportingComponent?: unknown;
}

export type FieldMatcher = (obj: KubeObjectLike) => boolean;

export function parseFieldSelector(input: string, resource: string): Parsed<FieldMatcher> {
  const allowed = FIELDS_BY_RESOURCE[resource] ?? GENERIC_FIELDS;
  const tests: FieldMatcher[] = [];
  for (const term of splitTopLevel(input)) {
    const m = /^([^!=\s]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!m) return { ok: false, error: `invalid selector: '${term}'; can't understand '${term}'` };
    const [, field, op, value] = m as unknown as [string, string, string, string];
    if (!allowed.includes(field)) {
      return { ok: false, error: `field label not supported: ${field}` };
    }
    const read = FIELD_PATHS[field]!;
    tests.push(op === '!=' ? (o) => read(o) !== value : (o) => read(o) === value);
  }
  return { ok: true, value: (obj) => tests.every((t) => t(obj)) };
}
