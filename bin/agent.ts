#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { readAgentFacts } from '../lib/agent/facts.js';
import { startAgentServer } from '../lib/agent/server.js';
import { MIN_AGENT_TOKEN_LENGTH } from '../lib/agent/token.js';

// Node agent entry point (one per node, DaemonSet with hostNetwork). Configuration, all from env:
//   NETCHECK_AGENT_TOKEN       shared bearer token, or
//   NETCHECK_AGENT_TOKEN_FILE  path to a file holding it (the mounted Secret; preferred)
//   NETCHECK_AGENT_PORT        TCP port, default 9807
//   NODE_IP                    address to bind (downward API status.hostIP). Only when it is unset
//                              do we bind 0.0.0.0, e.g. for a local run; in the cluster it is set
//                              so the agent never listens on every node interface.
//   NODE_NAME                  this node's Kubernetes name (downward API spec.nodeName), reported
//                              as the receiving end of transfers; optional, NODE_IP otherwise.
//   NETCHECK_AGENT_POD_PROBES  "on" serves /probe: TCP probes from inside a pod's network namespace
//   NETCHECK_AGENT_NETNS_PREFIX  with pod probes: search only pinned namespaces named so (e.g. "cni-")
//                              (needs CAP_SYS_ADMIN and /var/run/netns mounted); off by default.
//   NETCHECK_AGENT_CNI_CONF_DIR  the node's CNI configuration directory as mounted into the agent,
//                              default /etc/cni/net.d (read-only: which plugins handle hostPorts).

const DEFAULT_AGENT_PORT = 9807;

interface AgentConfig {
  host: string;
  port: number;
  token: string;
  nodeName?: string;
  podProbes: boolean;
  podNetnsPrefix?: string;
  cniConfDir?: string;
}

function readAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const problems: string[] = [];

  let token: string | undefined;
  if (env.NETCHECK_AGENT_TOKEN && env.NETCHECK_AGENT_TOKEN_FILE) {
    problems.push('set only one of NETCHECK_AGENT_TOKEN and NETCHECK_AGENT_TOKEN_FILE');
  } else if (env.NETCHECK_AGENT_TOKEN_FILE) {
    try {
      token = readFileSync(env.NETCHECK_AGENT_TOKEN_FILE, 'utf8').trim();
    } catch (error) {
      problems.push(`NETCHECK_AGENT_TOKEN_FILE=${env.NETCHECK_AGENT_TOKEN_FILE} cannot be read: ${(error as Error).message}`);
    }
  } else if (env.NETCHECK_AGENT_TOKEN) {
    token = env.NETCHECK_AGENT_TOKEN.trim();
  } else {
    problems.push('NETCHECK_AGENT_TOKEN or NETCHECK_AGENT_TOKEN_FILE is required (the agent never serves node facts without a token)');
  }
  if (token !== undefined && token.length < MIN_AGENT_TOKEN_LENGTH) {
    problems.push(`the agent token must be at least ${MIN_AGENT_TOKEN_LENGTH} characters (got ${token.length}); create one with: openssl rand -hex 32`);
  }

  const portText = env.NETCHECK_AGENT_PORT ?? String(DEFAULT_AGENT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    problems.push(`NETCHECK_AGENT_PORT must be a port number 1–65535 (got "${portText}")`);
  }

  const host = env.NODE_IP ?? '0.0.0.0';
  if (isIP(host) === 0) problems.push(`NODE_IP must be an IPv4 or IPv6 address (got "${host}")`);

  const nodeName = env.NODE_NAME?.trim();
  // A DNS subdomain, as Kubernetes node names are: it ends up in JSON answers, nothing else.
  if (nodeName && !/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(nodeName)) {
    problems.push(`NODE_NAME must be a Kubernetes node name (lower-case DNS subdomain; got "${nodeName.slice(0, 60)}")`);
  }

  const podProbesText = env.NETCHECK_AGENT_POD_PROBES ?? 'off';
  if (podProbesText !== 'on' && podProbesText !== 'off') problems.push(`NETCHECK_AGENT_POD_PROBES must be on or off (got "${podProbesText.slice(0, 20)}")`);
  const podProbes = podProbesText === 'on';
  const prefix = env.NETCHECK_AGENT_NETNS_PREFIX;
  if (prefix !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(prefix)) problems.push('NETCHECK_AGENT_NETNS_PREFIX must be 1–64 letters, digits, ".", "_" or "-"');

  const cniConfDir = env.NETCHECK_AGENT_CNI_CONF_DIR;
  if (cniConfDir !== undefined && (!isAbsolute(cniConfDir) || cniConfDir.length > 256))
    problems.push(`NETCHECK_AGENT_CNI_CONF_DIR must be an absolute path (got "${cniConfDir.slice(0, 60)}")`);

  if (problems.length > 0 || token === undefined) throw new Error(`netcheck agent: invalid configuration:\n  - ${problems.join('\n  - ')}`);
  const extra = { ...(nodeName ? { nodeName } : {}), ...(prefix ? { podNetnsPrefix: prefix } : {}), ...(cniConfDir ? { cniConfDir } : {}) };
  return { host, port, token, podProbes, ...extra };
}

async function main(): Promise<void> {
  let config: AgentConfig;
  try {
    config = readAgentConfig(process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const { cniConfDir, ...serverConfig } = config;
  const agent = await startAgentServer({ ...serverConfig, ...(cniConfDir ? { readFacts: (request) => readAgentFacts(request, { cniConfDir }) } : {}) });
  process.stdout.write(`${JSON.stringify({ msg: 'netcheck agent listening', url: agent.url })}\n`);
  const stop = (signal: NodeJS.Signals): void => {
    process.stdout.write(`${JSON.stringify({ msg: 'netcheck agent stopping', signal })}\n`);
    agent.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`netcheck agent: ${(error as Error).message}\n`);
  process.exit(1);
});
