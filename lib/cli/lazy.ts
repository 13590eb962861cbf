// The modules the CLI loads only when a command needs them: everything beyond commander and the
// option parsing (--help and --version load none of it). Each is still imported on first use. In
// the bundle (scripts/build-cli.mjs) this module and all it loads are one CommonJS file, compiled
// with a V8 code cache (code-cache.ts), since Node 20 caches the compilation of nothing else.
export const lazy = {
  model: () => import('../model/index.js'),
  jobSchema: () => import('../jobs/schema.js'),
  kubeConfig: () => import('../kube/config.js'),
  agentToken: () => import('../agent/token.js'),
  silenceFile: () => import('../silences/file.js'),
  engine: () => import('../engine.js'),
  renderJson: () => import('../render/json.js'),
  renderJunit: () => import('../render/junit.js'),
  renderMarkdown: () => import('../render/markdown.js'),
  renderTerminal: () => import('../render/terminal.js'),
};

export type Lazy = typeof lazy;
