import * as k8s from '@kubernetes/client-node';

// Structural validation of a manifest against the typed models in @kubernetes/client-node, which
// are generated from the Kubernetes OpenAPI spec. It catches unknown or misspelled fields and
// wrong value types at every depth. It does NOT check required fields, enum values, formats or
// cross-field rules: only an API server does that, and none can run here.

interface Attribute {
  baseName: string;
  type: string;
}
type Model = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, Model | undefined>;

export function modelNameFor(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop() ?? '';
  return `${version.charAt(0).toUpperCase()}${version.slice(1)}${kind}`;
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

function validateValue(value: unknown, type: string, path: string, problems: string[]): void {
  const arrayOf = /^Array<(.+)>$/.exec(type);
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (type === 'any') return;
  if (type === 'string' || type === 'Date') {
    if (typeof value !== 'string') problems.push(`${path}: expected string, got ${describe(value)}`);
  } else if (type === 'number') {
    if (typeof value !== 'number') problems.push(`${path}: expected number, got ${describe(value)}`);
  } else if (type === 'boolean') {
    if (typeof value !== 'boolean') problems.push(`${path}: expected boolean, got ${describe(value)}`);
  } else if (type === 'IntOrString') {
    if (typeof value !== 'string' && !Number.isInteger(value)) problems.push(`${path}: expected integer or string, got ${describe(value)}`);
  } else if (arrayOf) {
    if (!Array.isArray(value)) problems.push(`${path}: expected array, got ${describe(value)}`);
    else value.forEach((item, index) => validateValue(item, arrayOf[1] ?? 'any', `${path}[${index}]`, problems));
  } else if (mapOf) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) problems.push(`${path}: expected map, got ${describe(value)}`);
    else for (const [key, item] of Object.entries(value)) validateValue(item, mapOf[1] ?? 'any', `${path}.${key}`, problems);
  } else {
    const model = models[type];
    if (!model?.getAttributeTypeMap) {
      problems.push(`${path}: no model ${type} in @kubernetes/client-node`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${path}: expected ${type} object, got ${describe(value)}`);
      return;
    }
    const attributes = new Map(model.getAttributeTypeMap().map((attribute) => [attribute.baseName, attribute.type]));
    for (const [key, item] of Object.entries(value)) {
      const attributeType = attributes.get(key);
      if (attributeType === undefined) problems.push(`${path}.${key}: unknown field in ${type}`);
      else validateValue(item, attributeType, `${path}.${key}`, problems);
    }
  }
}

/** Problems found in one manifest, each naming the path; empty when it conforms. */
export function validateManifest(manifest: { apiVersion?: unknown; kind?: unknown }): string[] {
  if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') {
    return ['manifest has no apiVersion/kind'];
  }
  const problems: string[] = [];
  validateValue(manifest, modelNameFor(manifest.apiVersion, manifest.kind), manifest.kind, problems);
  return problems;
}
