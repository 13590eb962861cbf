// The ground floor every layer shares. Nothing here imports from the rest of netcheck.
export * from './components.js';
export * from './facts.js';
export * from './policies.js';
export * from './finding.js';
export * from './names.js';
export * from './report.js';
export * from './silence.js';
export * from './target.js';
export * from './labels.js';
export * from './text.js';
export * from './pods.js';
export * from './addresses.js';
export * from './events.js';
export * from './fingerprint.js';
export * from './read-scope.js';
export * from './object-cache.js';
