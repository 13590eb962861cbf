import pkg from '../package.json' with { type: 'json' };

// The one version source: package.json. The CLI's --version, the chart's appVersion and the
// image tag follow it (test/unit/version.test.ts keeps them in step).
export const VERSION: string = pkg.version;
