import type { Facts, NodeKernelFacts } from '../facts/types.js';
import { assessKernel, explainsOnBadNodes, kernelFinding, type NodeJudgement } from './lib/nodes.js';
import type { Check, Finding } from './types.js';

const STRICT = 1;

/** The kernel uses the higher of conf/all and conf/<iface> (2 = loose, 1 = strict). */
function judge(kernel: NodeKernelFacts, node: string): NodeJudgement {
  const cniInterfaces = kernel.interfaces.filter((i) => i.kind === 'cni').map((i) => i.name);
  if (cniInterfaces.length === 0) return { state: 'ok', evidence: `no CNI interfaces on ${node}` };
  const strict: string[] = [];
  const unknown: string[] = [];
  for (const name of cniInterfaces) {
    const own = kernel.rpFilter.interfaces[name];
    if (own === undefined || kernel.rpFilter.all === null) {
      unknown.push(name);
      continue;
    }
    if (Math.max(own, kernel.rpFilter.all) === STRICT) strict.push(name);
  }
  const allText = `net.ipv4.conf.all.rp_filter = ${kernel.rpFilter.all ?? 'unknown'}`;
  if (strict.length) {
    return {
      state: 'problem',
      severity: 'warn',
      evidence: `${allText}; ${strict.map((n) => `net.ipv4.conf.${n}.rp_filter = ${kernel.rpFilter.interfaces[n]}`).join(', ')} on ${node} → strict`,
    };
  }
  if (unknown.length === cniInterfaces.length) {
    return { state: 'unknown', reason: kernel.unknown['rpFilter'] ?? `unknown, because rp_filter of ${unknown.join(', ')} on ${node} was not read` };
  }
  return { state: 'ok', evidence: `${allText}; CNI interfaces ${cniInterfaces.join(', ')} not strict on ${node}` };
}

const assess = (facts: Facts) => assessKernel(facts, judge);

const check: Check = {
  code: 'rp-filter-strict',
  title: 'Strict reverse-path filtering on CNI interfaces',
  layer: 'kernel',
  docs: 'https://docs.kernel.org/networking/ip-sysctl.html',
  appliesTo: ['svc', 'node', 'cluster', 'dns'],
  explains: ['endpoint-timeout'],
  explainsFinding: (_cause: Finding, symptom: Finding, facts: Facts) => explainsOnBadNodes(facts, symptom, assess(facts)),
  run(facts: Facts): Finding[] {
    return [
      kernelFinding(check, facts, assess(facts), {
        problem(nodes) {
          return {
            detail:
              `Strict rp_filter (1) on CNI interfaces of ${nodes.map((n) => n.node).join(', ')}: packets arriving on an interface other than the one the ` +
              'return route uses (asymmetric routing: overlays, multiple NICs, policy routing) are dropped silently and show up as timeouts.',
            remediation: nodes
              .map(
                (n) =>
                  `# on ${n.node}: loose mode (2) keeps spoofing protection without breaking asymmetric paths\n` +
                  `sysctl -w net.ipv4.conf.all.rp_filter=2\necho 'net.ipv4.conf.all.rp_filter = 2' | tee -a /etc/sysctl.d/99-kubernetes.conf`,
              )
              .join('\n'),
          };
        },
        pass: 'No CNI interface uses strict rp_filter on the nodes with agent facts.',
      }),
    ];
  },
};

export default check;
