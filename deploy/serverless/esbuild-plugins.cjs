'use strict';
/* global module */
// Bolt's App module require()s every receiver at load — Express, Socket Mode (undici), OAuth,
// raw-body (iconv-lite) — although a Lambda built on AwsLambdaReceiver with our `authorize` never
// calls them. They are half the Slack bundle (~1.4 MB). Each is replaced by a stub that loads but
// throws, naming itself, if anything ever calls it; test/deploy/serverless.test.ts drives the
// deployed bundle through url_verification, a slash command and a button click to prove none is.
const LEFT_OUT = /^(express|body-parser|raw-body|@slack\/socket-mode|@slack\/oauth)$/;

module.exports = [
  {
    name: 'netcheck-bolt-unused-receivers',
    setup(build) {
      build.onResolve({ filter: LEFT_OUT }, (args) => ({ path: args.path, namespace: 'netcheck-left-out' }));
      build.onLoad({ filter: /.*/, namespace: 'netcheck-left-out' }, (args) => ({
        loader: 'js',
        contents: [
          `const unavailable = () => { throw new Error(${JSON.stringify(`${args.path} is left out of the netcheck Lambda bundle (AwsLambdaReceiver never uses it)`)}); };`,
          "module.exports = new Proxy(unavailable, { get: (_target, key) => (key === '__esModule' ? false : unavailable) });",
        ].join('\n'),
      }));
    },
  },
];
