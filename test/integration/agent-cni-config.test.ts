import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readAgentFacts } from '../../lib/agent/facts.js';
import { startAgentServer, type AgentServer } from '../../lib/agent/server.js';
import check from '../../lib/checks/hostport-without-portmap.js';
import { fetchNodeAgents } from '../../lib/gather/agents.js';
import type { NodeAgentFact, NodeFact } from '../../lib/model/index.js';
import { buildFacts } from '../scenarios/load.js';
import { withContext } from '../support/with-context.js';

// The node agent reading a real CNI configuration directory, asked over HTTP by the worker's
// client, and the check judging what came back: the file on disk decides the verdict.

const TOKEN = 'c'.repeat(64);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NODE: NodeFact = { name: 'node-1', labels: {}, ready: true, networkUnavailable: false, internalIP: '127.0.0.1', podCIDRs: [], unschedulable: false, taints: [] };

const BRIDGE_ONLY = {
  cniVersion: '1.0.0',
  name: 'containerd-net',
  plugins: [{ type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', ranges: [[{ subnet: '10.88.0.0/16' }]] } }],
};
const WITH_PORTMAP = { ...BRIDGE_ONLY, plugins: [...BRIDGE_ONLY.plugins, { type: 'portmap', capabilities: { portMappings: true } }] };

let cniDir: string;
let agent: AgentServer;

beforeAll(async () => {
  cniDir = await mkdtemp(join(tmpdir(), 'netcheck-cni-net.d-'));
  agent = await startAgentServer({ host: '127.0.0.1', port: 0, token: TOKEN, readFacts: (request) => readAgentFacts(request, { cniConfDir: cniDir }) });
});

afterAll(async () => {
  await agent?.close();
  await rm(cniDir, { recursive: true, force: true });
});

async function ask(port = agent.port): Promise<NodeAgentFact> {
  const [answer] = await fetchNodeAgents([NODE], ['node-1'], { port, token: TOKEN, timeoutMs: 10_000 });
  return answer as NodeAgentFact;
}

function judge(answer: NodeAgentFact) {
  const facts = buildFacts(
    { kind: 'node', name: 'node-1', cluster: 'test' },
    {
      nodes: [NODE],
      pods: [
        {
          name: 'registry-proxy-7x2',
          namespace: 'kube-system',
          nodeName: 'node-1',
          phase: 'Running',
          ready: true,
          containers: [{ name: 'proxy', ready: true, state: 'running', ports: [{ containerPort: 80, hostPort: 5000 }] }],
        },
      ],
      nodeAgents: [answer],
    },
  );
  return check.run(facts)[0];
}

describe('agent CNI configuration over HTTP', () => {
  it('reports the chain of the first file, and the check fails, then passes once portmap is in it', async () => {
    await writeFile(join(cniDir, '10-containerd-net.conflist'), JSON.stringify(BRIDGE_ONLY));
    const before = await ask();
    expect(before.status).toBe('ok');
    expect(before.facts?.cniConfig).toEqual({
      dir: cniDir,
      files: [{ file: '10-containerd-net.conflist', name: 'containerd-net', plugins: [{ type: 'bridge', portMappings: false }] }],
    });
    const failing = judge(before);
    withContext(failing?.detail ?? '', () => expect(failing?.status).toBe('fail'));
    expect(failing?.detail).toContain(`${cniDir}/10-containerd-net.conflist`);
    expect(failing?.detail).toContain('hostPort 5000');

    await writeFile(join(cniDir, '10-containerd-net.conflist'), JSON.stringify(WITH_PORTMAP));
    const passing = judge(await ask());
    withContext(passing?.detail ?? '', () => expect(passing?.status).toBe('pass'));
    expect(passing?.evidence.join('\n')).toContain('portmap [portMappings]');
  });

  it('follows the runtime to a file that sorts first, and says unknown when that file is broken', async () => {
    await writeFile(join(cniDir, '10-containerd-net.conflist'), JSON.stringify(WITH_PORTMAP));
    await writeFile(join(cniDir, '00-half-written.conflist'), JSON.stringify(WITH_PORTMAP).slice(0, 30));
    try {
      const answer = await ask();
      expect(answer.facts?.cniConfig?.files.map((f) => f.file)).toEqual(['00-half-written.conflist', '10-containerd-net.conflist']);
      const result = judge(answer);
      expect(result?.status).toBe('skip');
      expect(result?.detail).toContain('00-half-written.conflist is not JSON');
    } finally {
      await rm(join(cniDir, '00-half-written.conflist'));
    }
  });

  it('makes a directory the agent cannot see an unknown, never a pass', async () => {
    const blind = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      readFacts: (request) => readAgentFacts(request, { cniConfDir: join(cniDir, 'not-mounted') }),
    });
    try {
      const result = judge(await ask(blind.port));
      expect(result?.status).toBe('skip');
      expect(result?.detail).toContain('not-mounted does not exist');
    } finally {
      await blind.close();
    }
  });
});

describe('bin/agent.ts NETCHECK_AGENT_CNI_CONF_DIR', () => {
  it('refuses a relative directory before serving', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', NETCHECK_AGENT_TOKEN: TOKEN, NODE_IP: '127.0.0.1', NETCHECK_AGENT_CNI_CONF_DIR: 'etc/cni/net.d' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('NETCHECK_AGENT_CNI_CONF_DIR must be an absolute path (got "etc/cni/net.d")');
  });

  it('reads the directory it is given', async () => {
    await writeFile(join(cniDir, '10-containerd-net.conflist'), JSON.stringify(WITH_PORTMAP));
    // The agent takes no port 0: borrow a free one from the kernel.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/agent.ts'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', NETCHECK_AGENT_TOKEN: TOKEN, NODE_IP: '127.0.0.1', NETCHECK_AGENT_PORT: String(port), NETCHECK_AGENT_CNI_CONF_DIR: cniDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buffered = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const match = /"url":"([^"]+)"/.exec(buffered);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`agent exited (${code}) before listening`)));
      });
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const answer = await ask(port);
      expect(answer.facts?.cniConfig?.dir).toBe(cniDir);
      expect(answer.facts?.cniConfig?.files[0]?.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
  });
});
