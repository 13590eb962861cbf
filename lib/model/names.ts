import * as z from 'zod';

// Kubernetes name rules. Every boundary that takes a name from a person or a payload checks it
// with these before it reaches an API path, a probe or a log line.

/** RFC 1123 label: namespaces, services and most object names. */
export const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: node names and cluster domains may contain dots. */
export const RFC1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const LABEL_RULE = 'must be a DNS label: lowercase letters, digits and "-", 1–63 characters, starting and ending with a letter or digit';
export const SUBDOMAIN_RULE = 'must be a DNS name: lowercase letters, digits, "-" and ".", at most 253 characters';

export const dnsLabel = z.string().regex(RFC1123_LABEL, LABEL_RULE);
export const dnsSubdomain = z.string().regex(RFC1123_SUBDOMAIN, SUBDOMAIN_RULE);

/** A name to look up: a DNS name (lowercase), optionally absolute (one trailing dot, as a resolver reads it). */
export const LOOKUP_NAME_RULE = 'must be a DNS name to look up: lowercase letters, digits, "-" and ".", at most 253 characters, optionally ending in "."';
export function isLookupName(value: string): boolean {
  const bare = value.endsWith('.') ? value.slice(0, -1) : value;
  // A resolver refuses a label over 63 octets; the subdomain rule alone does not bound labels.
  return RFC1123_SUBDOMAIN.test(bare) && bare.split('.').every((label) => label.length <= 63);
}
export const lookupName = z.string().refine(isLookupName, LOOKUP_NAME_RULE);

export const isDnsLabel = (value: string): boolean => RFC1123_LABEL.test(value);
export const isDnsSubdomain = (value: string): boolean => RFC1123_SUBDOMAIN.test(value);

/**
 * The Service an in-cluster DNS name stands for: "ledger.billing.svc.cluster.local" (or
 * "ledger.billing.svc") is Service billing/ledger. Anything else is not a Service name.
 */
export function inClusterServiceName(host: string | undefined): { name: string; namespace: string } | undefined {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.[a-z0-9.-]+)?\.?$/.exec((host ?? '').toLowerCase());
  return match?.[1] && match[3] ? { name: match[1], namespace: match[3] } : undefined;
}
