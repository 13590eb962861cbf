import { mapWithConcurrency } from '../concurrency.js';
import { ipvsServiceRules } from './ipvs.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILTIN_CHAIN_HOOKS, parseIptables, ruleMatches, type IptablesDump, type IptRule, type IptTable } from './iptables-parse.js';
import { keyParts, parseNftJson, renderNftRule, summarizeRule, verdictMapEntries, type NftChainInfo, type NftDump, type NftVerdict } from './nft-parse.js';
import { canonicalIp, hostPort, serviceKey, type ServiceAddress } from './service-address.js';
import { runTool, unknownBecause, type ToolResult, type ToolRunner } from './tools.js';
import type { NetfilterFacts, NetfilterRuleFact, ServiceRulesFact } from '../model/index.js';

// What netfilter does to forwarded pod traffic on this node, and what kube-proxy programmed for
// the Service addresses the engine asks about. Read-only: every tool runs with a fixed argv.
//
// Which tool reads which table. nf_tables holds both native nftables tables and the tables
// iptables-nft writes (`ip filter`, `ip nat`, … with `xt` expressions whose details — DNAT
// targets, REJECT types, comments — `nft -j` does not print). So:
//   - `nft -j list chains` is the backbone: every nf_tables table, its base chains with hook and
//     policy. It stays fast at 10,000 Services, unlike any nft command that lists rules.
//   - tables with iptables' names are read with `iptables-nft -t <table> -S` (the iptables view
//     of the same rules, with every match). A table iptables-nft calls incompatible (native
//     rules under an iptables name) falls back to `nft -j list table`.
//   - other tables on the forward path are read with `nft -j list table <family> <name>`; the
//     kube-proxy table and CNI tables are not (their drops are theirs, and kube-proxy's table is
//     the one whose listing grows quadratically with Services on nft 1.0.6).
//   - kube-proxy's Service rules are read only for the addresses asked about: one
//     `-S KUBE-SERVICES` indexed once, then only the chains those addresses lead to. Measured
//     here at 10,000 Services: `iptables-nft-save` takes ~13 s and `nft -j list ruleset` ~10 s
//     with 500 MB RSS; `iptables-nft -t nat -S KUBE-SERVICES` 0.12 s, `nft -j list chains` 0.3 s.
//   - iptables-legacy keeps separate tables the nf_tables tools cannot see; they are read only
//     when /proc/net/ip_tables_names lists any (reading needs CAP_NET_RAW besides CAP_NET_ADMIN).
// A tool that is missing or fails makes its part "unknown, because …", never an empty ruleset.

export type NetfilterSource = NetfilterFacts['sources'][number];

export interface RuleEntry {
  text: string;
  verdict?: 'drop' | 'reject';
  jumps: string[];
}

export interface RuleChain {
  name: string;
  hook?: string;
  policy?: string;
  rules: RuleEntry[];
}

/** One table as the analysis sees it, whichever tool printed it. */
export interface RuleTable {
  source: NetfilterSource;
  /** "ip filter", "inet firewall", "iptables-legacy filter". */
  display: string;
  family: string;
  name: string;
  chains: Map<string, RuleChain>;
  /** False for tables known only from `nft -j list chains` (hooks and policies, no rules). */
  rulesRead: boolean;
  /** Rules the table holds, when known (also for tables read only for their chains). */
  ruleCount: number;
}

const XTABLES_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
/** Chain prefixes of CNIs (and the lab's NetworkPolicy stand-in): their drops are policy, not foreign. */
const CNI_CHAIN_PREFIXES = ['cali-', 'CILIUM_', 'FLANNEL-', 'WEAVE-', 'KUBE-ROUTER-', 'ANTREA-', 'OVN-', 'NETLAB-POLICY'];
const CNI_TABLE = /^(calico|cali-|cilium|flannel|weave|kube-router|antrea|ovn|netlab-policy)/i;
/** Calico and Cilium also put rules into FORWARD itself, marked by their comments. */
const CNI_RULE_COMMENT = /--comment "?(cali:|cilium)/;
const MAX_FOREIGN_DROPS = 100;
const MAX_RULE_TEXT = 400;

export function isXtablesTable(family: string, name: string): boolean {
  return (family === 'ip' || family === 'ip6') && XTABLES_TABLES.has(name);
}

function isKubeProxyChain(name: string): boolean {
  return name.startsWith('KUBE-') && !name.startsWith('KUBE-ROUTER-');
}

function isCniChain(name: string): boolean {
  return CNI_CHAIN_PREFIXES.some((prefix) => name.startsWith(prefix));
}

function tableOwner(table: RuleTable): 'kube-proxy' | 'cni' | undefined {
  if (table.source === 'nft' && table.name === 'kube-proxy') return 'kube-proxy';
  if (table.source === 'nft' && CNI_TABLE.test(table.name)) return 'cni';
  return undefined;
}

// ---- converting tool output into RuleTables ------------------------------------------------

function legacyDisplay(family: string, name: string): string {
  return `${family === 'ip6' ? 'ip6tables' : 'iptables'}-legacy ${name}`;
}

export function tableFromIptables(table: IptTable, source: 'iptables-nft' | 'iptables-legacy', family: 'ip' | 'ip6'): RuleTable {
  const chains = new Map<string, RuleChain>();
  let ruleCount = 0;
  for (const chain of table.chains.values()) {
    const rules: RuleEntry[] = chain.rules.map((rule) => {
      const entry: RuleEntry = { text: rule.text, jumps: [] };
      if (rule.target === 'DROP') entry.verdict = 'drop';
      else if (rule.target === 'REJECT') entry.verdict = 'reject';
      else if (rule.target !== undefined && table.chains.has(rule.target)) entry.jumps.push(rule.target);
      return entry;
    });
    ruleCount += rules.length;
    const converted: RuleChain = { name: chain.name, rules };
    const hook = chain.builtin ? BUILTIN_CHAIN_HOOKS[chain.name] : undefined;
    if (hook) converted.hook = hook;
    if (chain.policy) converted.policy = chain.policy.toLowerCase();
    chains.set(chain.name, converted);
  }
  return {
    source,
    display: source === 'iptables-legacy' ? legacyDisplay(family, table.name) : `${family} ${table.name}`,
    family,
    name: table.name,
    chains,
    rulesRead: true,
    ruleCount,
  };
}

function tableKey(family: string, name: string): string {
  return `${family} ${name}`;
}

/** Tables of an nft dump; `withRules` false for `list chains` output (no rules in it). */
export function tablesFromNft(dump: NftDump, withRules: boolean): Map<string, RuleTable> {
  const tables = new Map<string, RuleTable>();
  const tableFor = (family: string, name: string): RuleTable => {
    const key = tableKey(family, name);
    let table = tables.get(key);
    if (!table) {
      table = { source: 'nft', display: key, family, name, chains: new Map(), rulesRead: withRules, ruleCount: 0 };
      tables.set(key, table);
    }
    return table;
  };
  for (const table of dump.tables) tableFor(table.family, table.name);
  for (const chain of dump.chains) {
    const converted: RuleChain = { name: chain.name, rules: [] };
    if (chain.hook) converted.hook = chain.hook;
    if (chain.policy) converted.policy = chain.policy;
    tableFor(chain.family, chain.table).chains.set(chain.name, converted);
  }
  const maps = new Map(dump.sets.filter((set) => set.map === 'verdict').map((set) => [`${set.family} ${set.table} ${set.name}`, set]));
  for (const rule of dump.rules) {
    const table = tableFor(rule.family, rule.table);
    let chain = table.chains.get(rule.chain);
    if (!chain) {
      chain = { name: rule.chain, rules: [] };
      table.chains.set(rule.chain, chain);
    }
    const summary = summarizeRule(rule.expr);
    const entry: RuleEntry = { text: renderNftRule(rule.expr), jumps: summary.jumps };
    let verdict = summary.verdict;
    for (const ref of summary.vmapRefs) {
      const map = maps.get(`${rule.family} ${rule.table} ${ref}`);
      for (const { verdict: mapped } of verdictMapEntries(map?.elem ?? [])) {
        if (mapped.kind === 'jump' || mapped.kind === 'goto') entry.jumps.push(mapped.target);
        else if (mapped.kind === 'drop' || mapped.kind === 'reject') verdict ??= mapped.kind;
      }
    }
    if (verdict) entry.verdict = verdict;
    chain.rules.push(entry);
    table.ruleCount += 1;
  }
  return tables;
}

// ---- analysis -------------------------------------------------------------------------------

export interface NetfilterAnalysisInput {
  tables: RuleTable[];
  sources: NetfilterSource[];
  /** Node interface names (kube-ipvs0 tells IPVS mode). */
  interfaceNames?: readonly string[];
  /** Why part of the forward path could not be read (unreadable legacy tables); null policy unless a drop is known. */
  forwardPathUnknown?: string;
  /** Why legacy rules could not be counted. */
  legacyUnknown?: string;
  /** KUBE-SERVICES matches an ipset (IPVS mode), when the caller read it. */
  ipsetServices?: boolean;
}

export interface NetfilterAnalysis {
  facts: NetfilterFacts;
  unknown: Record<string, string>;
}

export function kubeProxyModeOf(tables: readonly RuleTable[], interfaceNames: readonly string[] = [], ipsetServices = false): NetfilterFacts['kubeProxyMode'] {
  let iptables = false;
  let ipvs = ipsetServices || interfaceNames.includes('kube-ipvs0');
  let nftables = false;
  for (const table of tables) {
    if (table.source === 'nft' && table.name === 'kube-proxy' && (table.family === 'ip' || table.family === 'ip6')) nftables = true;
    if (table.source === 'nft' && !isXtablesTable(table.family, table.name)) continue;
    for (const name of table.chains.keys()) {
      if (name.startsWith('KUBE-IPVS') || name === 'KUBE-LOAD-BALANCER') ipvs = true;
      else if (name === 'KUBE-SERVICES' || name.startsWith('KUBE-SVC-')) iptables = true;
    }
  }
  // IPVS mode also creates KUBE-SERVICES, so its own marks decide first. After a mode switch
  // kube-proxy cleans the old mode's rules, so nftables and iptables rarely coexist for long.
  if (ipvs) return 'ipvs';
  if (nftables) return 'nftables';
  if (iptables) return 'iptables';
  return null;
}

function reachableFrom(table: RuleTable, start: string): string[] {
  const seen = new Set<string>([start]);
  const order = [start];
  for (let index = 0; index < order.length; index += 1) {
    for (const rule of table.chains.get(order[index] as string)?.rules ?? []) {
      for (const target of rule.jumps) {
        if (!seen.has(target) && table.chains.has(target)) {
          seen.add(target);
          order.push(target);
        }
      }
    }
  }
  return order;
}

export function analyzeNetfilter(input: NetfilterAnalysisInput): NetfilterAnalysis {
  const unknown: Record<string, string> = {};
  const forwardDropChains: string[] = [];
  const foreignDrops: NetfilterRuleFact[] = [];
  let foreignTotal = 0;
  for (const table of input.tables) {
    const owner = tableOwner(table);
    for (const chain of table.chains.values()) {
      if (chain.hook !== 'forward') continue;
      if (chain.policy === 'drop') forwardDropChains.push(`${table.display} ${chain.name}`);
      if (!table.rulesRead || owner !== undefined) continue;
      for (const name of reachableFrom(table, chain.name)) {
        if (isKubeProxyChain(name) || isCniChain(name)) continue;
        for (const rule of table.chains.get(name)?.rules ?? []) {
          if (!rule.verdict || CNI_RULE_COMMENT.test(rule.text)) continue;
          foreignTotal += 1;
          if (foreignDrops.length >= MAX_FOREIGN_DROPS) continue;
          foreignDrops.push({
            table: table.display,
            chain: name,
            hook: 'forward',
            verdict: rule.verdict,
            text: rule.text.length > MAX_RULE_TEXT ? `${rule.text.slice(0, MAX_RULE_TEXT)}…` : rule.text,
          });
        }
      }
    }
  }
  if (foreignTotal > foreignDrops.length) unknown['netfilter.foreignDrops'] = `listed the first ${foreignDrops.length} of ${foreignTotal} foreign drop rules`;

  let forwardPolicy: NetfilterFacts['forwardPolicy'] = forwardDropChains.length > 0 ? 'drop' : 'accept';
  if (forwardPolicy === 'accept' && input.forwardPathUnknown) {
    forwardPolicy = null;
    unknown['netfilter.forwardPolicy'] = input.forwardPathUnknown;
  }

  const legacy = input.tables.filter((table) => table.source === 'iptables-legacy');
  const nfTablesHaveRules = input.tables.some(
    (table) => table.source !== 'iptables-legacy' && (table.ruleCount > 0 || [...table.chains.values()].some((chain) => chain.hook === undefined)),
  );
  const legacyRules = legacy.reduce((sum, table) => sum + table.ruleCount, 0);
  if (input.legacyUnknown) unknown['netfilter.legacyRuleCount'] = input.legacyUnknown;

  return {
    facts: {
      sources: input.sources,
      forwardPolicy,
      forwardDropChains,
      foreignDrops,
      legacyRuleCount: nfTablesHaveRules ? legacyRules : 0,
      kubeProxyMode: kubeProxyModeOf(input.tables, input.interfaceNames, input.ipsetServices),
    },
    unknown,
  };
}

// ---- kube-proxy Service rules ---------------------------------------------------------------

/** Where iptables-mode kube-proxy chains come from: a full dump, or `-S <chain>` on demand. */
export interface IptablesChainSource {
  family: 'ip' | 'ip6';
  /** nat KUBE-SERVICES rules; undefined when the chain does not exist. */
  natServices: IptRule[] | undefined;
  /** filter KUBE-SERVICES and KUBE-EXTERNAL-SERVICES rules (kube-proxy's REJECTs). */
  filterRejects: IptRule[];
  natChain: (name: string) => Promise<IptRule[] | undefined | string>;
}

/** Where nftables-mode kube-proxy state comes from. */
export interface NftKubeProxySource {
  family: 'ip' | 'ip6';
  serviceIps: { key: unknown; verdict: NftVerdict }[];
  noEndpoints: { key: unknown; verdict: NftVerdict }[];
  /** DNAT targets behind a service chain, in rule order, or why they cannot be read. */
  backendsOf: (chain: string) => Promise<{ backends: string[]; detail?: string }>;
  /** Verdict of a helper chain like reject-chain (reject/drop), when known. */
  helperVerdict?: (chain: string) => 'drop' | 'reject' | undefined;
}

const MAX_ENDPOINT_CHAINS = 64;

function destinationKey(destination: string | undefined, family: 'ip' | 'ip6'): string | undefined {
  if (!destination) return undefined;
  const [address = '', prefix] = destination.split('/');
  if (prefix !== undefined && prefix !== (family === 'ip6' ? '128' : '32')) return undefined;
  return canonicalIp(address);
}

function backendOf(toDestination: string | undefined): string | undefined {
  if (!toDestination) return undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?/.exec(toDestination);
  if (bracketed?.[1]) return bracketed[2] ? hostPort(bracketed[1], bracketed[2]) : bracketed[1];
  const [ip = '', port] = toDestination.split('-')[0]?.split(':') ?? [];
  return port ? hostPort(ip, port) : ip;
}

interface IptablesIndex {
  source: IptablesChainSource;
  nat: Map<string, { rule: IptRule; comment?: string; toDestination?: string }[]>;
  rejects: Map<string, { rule: IptRule; comment?: string }[]>;
  ipset: boolean;
}

export function indexIptablesServices(source: IptablesChainSource): IptablesIndex {
  const index: IptablesIndex = { source, nat: new Map(), rejects: new Map(), ipset: false };
  for (const rule of source.natServices ?? []) {
    const matches = ruleMatches(rule.text);
    if (matches.matchSets.some((set) => set.startsWith('KUBE-'))) index.ipset = true;
    if (matches.negatedDestination || matches.dport === undefined || !matches.protocol) continue;
    const ip = destinationKey(matches.destination, source.family);
    if (!ip) continue;
    const key = serviceKey(ip, matches.protocol, matches.dport);
    const list = index.nat.get(key) ?? [];
    list.push({ rule, ...(matches.comment ? { comment: matches.comment } : {}), ...(matches.toDestination ? { toDestination: matches.toDestination } : {}) });
    index.nat.set(key, list);
  }
  for (const rule of source.filterRejects) {
    if (rule.target !== 'REJECT' && rule.target !== 'DROP') continue;
    const matches = ruleMatches(rule.text);
    if (matches.negatedDestination || matches.dport === undefined || !matches.protocol) continue;
    const ip = destinationKey(matches.destination, source.family);
    if (!ip) continue;
    const key = serviceKey(ip, matches.protocol, matches.dport);
    const list = index.rejects.get(key) ?? [];
    list.push({ rule, ...(matches.comment ? { comment: matches.comment } : {}) });
    index.rejects.set(key, list);
  }
  return index;
}

async function iptablesBackends(index: IptablesIndex, target: string, problems: string[]): Promise<string[]> {
  const backends: string[] = [];
  const seen = new Set<string>();
  const endpointChains: string[] = [];
  const visit = async (chain: string, depth: number): Promise<void> => {
    if (seen.has(chain) || depth > 3) return;
    seen.add(chain);
    const rules = await index.source.natChain(chain);
    if (typeof rules === 'string') {
      problems.push(rules);
      return;
    }
    if (rules === undefined) {
      problems.push(`chain ${chain} does not exist`);
      return;
    }
    for (const rule of rules) {
      if (rule.target === 'DNAT') {
        const backend = backendOf(ruleMatches(rule.text).toDestination);
        if (backend) backends.push(backend);
      } else if (rule.target?.startsWith('KUBE-SEP-')) endpointChains.push(rule.target);
      else if (rule.target && /^KUBE-(SVC|SVL|EXT|FW)-/.test(rule.target)) await visit(rule.target, depth + 1);
    }
  };
  await visit(target, 0);
  const unique = [...new Set(endpointChains)];
  if (unique.length > MAX_ENDPOINT_CHAINS) problems.push(`read the first ${MAX_ENDPOINT_CHAINS} of ${unique.length} endpoint chains`);
  const perEndpoint = await mapWithConcurrency(unique.slice(0, MAX_ENDPOINT_CHAINS), 8, async (chain) => {
    const rules = await index.source.natChain(chain);
    if (typeof rules === 'string' || rules === undefined) {
      problems.push(typeof rules === 'string' ? rules : `chain ${chain} does not exist`);
      return [];
    }
    return rules.filter((rule) => rule.target === 'DNAT').map((rule) => backendOf(ruleMatches(rule.text).toDestination) ?? '?');
  });
  backends.push(...perEndpoint.flat());
  return [...new Set(backends)];
}

async function lookupIptables(index: IptablesIndex, address: ServiceAddress): Promise<ServiceRulesFact | undefined> {
  const key = serviceKey(address.ip, address.protocol, address.port);
  const nat = index.nat.get(key) ?? [];
  const rejects = index.rejects.get(key) ?? [];
  if (nat.length === 0 && rejects.length === 0) return undefined;
  const problems: string[] = [];
  const backends: string[] = [];
  for (const entry of nat) {
    const target = entry.rule.target;
    if (target === 'DNAT') {
      const backend = backendOf(entry.toDestination);
      if (backend) backends.push(backend);
    } else if (target) backends.push(...(await iptablesBackends(index, target, problems)));
  }
  const fact: ServiceRulesFact = { ...address, mode: 'iptables', found: true, backends: [...new Set(backends)], rejects: rejects.length > 0 };
  const notes: string[] = [];
  const name = nat.find((entry) => entry.comment)?.comment ?? rejects.find((entry) => entry.comment)?.comment;
  if (rejects.length > 0) notes.push(`kube-proxy rejects it${name ? ` ("${name}")` : ''}`);
  else if (name) notes.push(`"${name}"`);
  if (problems.length > 0) notes.push(`unknown, because ${problems.slice(0, 3).join('; ')}`);
  if (notes.length > 0) fact.detail = notes.join('; ');
  return fact;
}

function nftKeyOf(key: unknown): string | undefined {
  const [ip, protocol, port] = keyParts(key);
  const canonical = typeof ip === 'string' ? canonicalIp(ip) : undefined;
  if (!canonical || typeof protocol !== 'string' || typeof port !== 'number') return undefined;
  return serviceKey(canonical, protocol, port);
}

interface NftIndex {
  source: NftKubeProxySource;
  services: Map<string, NftVerdict>;
  noEndpoints: Map<string, NftVerdict>;
}

export function indexNftServices(source: NftKubeProxySource): NftIndex {
  const index: NftIndex = { source, services: new Map(), noEndpoints: new Map() };
  for (const { key, verdict } of source.serviceIps) {
    const text = nftKeyOf(key);
    if (text) index.services.set(text, verdict);
  }
  for (const { key, verdict } of source.noEndpoints) {
    const text = nftKeyOf(key);
    if (text) index.noEndpoints.set(text, verdict);
  }
  return index;
}

async function lookupNft(index: NftIndex, address: ServiceAddress): Promise<ServiceRulesFact | undefined> {
  const key = serviceKey(address.ip, address.protocol, address.port);
  const service = index.services.get(key);
  const noEndpoint = index.noEndpoints.get(key);
  if (!service && !noEndpoint) return undefined;
  const fact: ServiceRulesFact = { ...address, mode: 'nftables', found: true, backends: [], rejects: false };
  const notes: string[] = [];
  if (service && 'target' in service) {
    const { backends, detail } = await index.source.backendsOf(service.target);
    fact.backends = backends;
    notes.push(`service-ips → ${service.target}`);
    if (detail) notes.push(detail);
  }
  if (noEndpoint) {
    const helper = 'target' in noEndpoint ? index.source.helperVerdict?.(noEndpoint.target) : undefined;
    const kind = 'target' in noEndpoint ? (helper ?? 'reject') : noEndpoint.kind;
    fact.rejects = kind === 'reject' || kind === 'drop';
    notes.push(`no-endpoint-services → ${'target' in noEndpoint ? `${noEndpoint.kind} ${noEndpoint.target}` : noEndpoint.kind}${kind === 'drop' ? ' (drops)' : ''}`);
  }
  fact.detail = notes.join('; ');
  return fact;
}

/** Where a dump's kube-proxy nftables table can be read from in full (small tables, tests, the benchmark). */
export function nftKubeProxySourceFromDump(dump: NftDump, family: 'ip' | 'ip6'): NftKubeProxySource | undefined {
  const inTable = <T extends { family: string; table: string }>(item: T) => item.family === family && item.table === 'kube-proxy';
  if (!dump.tables.some((table) => table.family === family && table.name === 'kube-proxy') && !dump.chains.some(inTable)) return undefined;
  const sets = dump.sets.filter(inTable);
  const chains = new Map<string, unknown[][]>();
  for (const rule of dump.rules) {
    if (!inTable(rule)) continue;
    const list = chains.get(rule.chain) ?? [];
    list.push(rule.expr);
    chains.set(rule.chain, list);
  }
  const entriesOf = (name: string) => verdictMapEntries(sets.find((set) => set.name === name)?.elem ?? []);
  const dnatOf = (chain: string): string[] => {
    const targets: string[] = [];
    for (const expr of chains.get(chain) ?? []) {
      for (const statement of expr) {
        const dnat = (statement as { dnat?: { addr?: unknown; port?: unknown } }).dnat;
        if (dnat && typeof dnat.addr === 'string') targets.push(dnat.port === undefined ? dnat.addr : hostPort(dnat.addr, String(dnat.port)));
      }
    }
    return targets;
  };
  return {
    family,
    serviceIps: entriesOf('service-ips'),
    noEndpoints: entriesOf('no-endpoint-services'),
    helperVerdict: (chain) => {
      for (const expr of chains.get(chain) ?? []) {
        const verdict = summarizeRule(expr).verdict;
        if (verdict) return verdict;
      }
      return undefined;
    },
    backendsOf: async (serviceChain) => {
      const rules = chains.get(serviceChain);
      if (!rules) return { backends: [], detail: `unknown, because chain ${serviceChain} is not in the table` };
      const endpointChains: string[] = [];
      for (const expr of rules) endpointChains.push(...summarizeRule(expr).jumps.filter((target) => target.startsWith('endpoint-')));
      const direct = dnatOf(serviceChain);
      return { backends: [...new Set([...direct, ...endpointChains.flatMap(dnatOf)])] };
    },
  };
}

/**
 * Backends from endpoint chain names alone (`endpoint-<hash>-ns/svc/tcp/p80__10.244.2.10/8080`),
 * for kube-proxy tables too large to list rule by rule. kube-proxy names every endpoint chain
 * after its service port and address, so this is what it programmed, minus chains it has not
 * deleted yet.
 */
export function nftBackendsFromChainNames(chainNames: readonly string[]): (serviceChain: string) => { backends: string[]; detail?: string } {
  let byServicePort: Map<string, string[]> | undefined;
  return (serviceChain) => {
    if (!byServicePort) {
      byServicePort = new Map();
      for (const name of chainNames) {
        const match = /^endpoint-[^-]+-(.+)__(.+)\/(\d+)$/.exec(name);
        if (!match) continue;
        const [, servicePort = '', ip = '', port = ''] = match;
        const list = byServicePort.get(servicePort) ?? [];
        list.push(hostPort(ip, port));
        byServicePort.set(servicePort, list);
      }
    }
    const servicePort = /^service-[^-]+-(.+)$/.exec(serviceChain)?.[1];
    const backends = servicePort ? (byServicePort.get(servicePort) ?? []) : [];
    return { backends, detail: 'backends read from endpoint chain names (the table is too large to list its rules quickly with this nft)' };
  };
}

export interface ServiceRulesIndex {
  iptables: IptablesIndex[];
  nft: NftIndex[];
}

export async function lookupServiceRules(
  index: ServiceRulesIndex,
  addresses: readonly ServiceAddress[],
  mode: NetfilterFacts['kubeProxyMode'],
  unreadable?: string,
  ipvs?: (address: ServiceAddress) => Promise<ServiceRulesFact>,
): Promise<ServiceRulesFact[]> {
  return mapWithConcurrency(addresses, 4, async (address) => {
    const miss = (detail: string, factMode: ServiceRulesFact['mode']): ServiceRulesFact => ({ ...address, mode: factMode, found: false, backends: [], rejects: false, detail });
    if (unreadable) return miss(unreadable, 'unknown');
    if (mode === 'ipvs') return ipvs ? ipvs(address) : miss('unknown, because kube-proxy runs in IPVS mode and no IPVS reader was given', 'unknown');
    const family = address.ip.includes(':') ? 'ip6' : 'ip';
    for (const nft of index.nft.filter((candidate) => candidate.source.family === family)) {
      const found = await lookupNft(nft, address);
      if (found) return found;
    }
    for (const iptables of index.iptables.filter((candidate) => candidate.source.family === family)) {
      const found = await lookupIptables(iptables, address);
      if (found) return found;
    }
    if (mode === null) {
      return miss("no kube-proxy rules on this node (kube-proxy not running here, or replaced, e.g. by Cilium's eBPF service handling)", 'unknown');
    }
    return miss(
      `kube-proxy (${mode} mode) has no rule for ${hostPort(address.ip, address.port)}/${address.protocol.toLowerCase()}: not synced yet, or not a Service address`,
      mode,
    );
  });
}

// ---- recorded dumps (tests, benchmark) -------------------------------------------------------

export interface NetfilterDumps {
  /** `nft -j list ruleset`. */
  nftRuleset?: string;
  /** `iptables-save` / `ip6tables-save` on the nf_tables backend. */
  iptablesSave?: string;
  ip6tablesSave?: string;
  /** `iptables-legacy-save` / `ip6tables-legacy-save`. */
  legacySave?: string;
  legacy6Save?: string;
  interfaceNames?: string[];
}

export interface NetfilterSnapshot {
  facts: NetfilterFacts | null;
  unknown: Record<string, string>;
  serviceRules: (addresses: readonly ServiceAddress[]) => Promise<ServiceRulesFact[]>;
}

function iptablesSourceFromDump(dump: IptablesDump, family: 'ip' | 'ip6'): IptablesChainSource {
  const nat = dump.tables.get('nat');
  const filter = dump.tables.get('filter');
  return {
    family,
    natServices: nat?.chains.get('KUBE-SERVICES')?.rules,
    filterRejects: [...(filter?.chains.get('KUBE-SERVICES')?.rules ?? []), ...(filter?.chains.get('KUBE-EXTERNAL-SERVICES')?.rules ?? [])],
    natChain: async (name) => nat?.chains.get(name)?.rules,
  };
}

/**
 * Netfilter facts from complete dumps, the way the tools print them. iptables tables in the nft
 * dump are skipped when iptables-save printed them (its text has what `xt` expressions hide).
 */
export function netfilterFromDumps(dumps: NetfilterDumps): NetfilterSnapshot {
  const tables: RuleTable[] = [];
  const sources: NetfilterSource[] = [];
  const index: ServiceRulesIndex = { iptables: [], nft: [] };
  const covered = new Set<string>();
  let ipset = false;
  for (const [text, family] of [
    [dumps.iptablesSave, 'ip'],
    [dumps.ip6tablesSave, 'ip6'],
  ] as const) {
    if (text === undefined) continue;
    const dump = parseIptables(text);
    if (!sources.includes('iptables-nft')) sources.push('iptables-nft');
    for (const table of dump.tables.values()) {
      if (dump.incompatible.includes(table.name)) continue;
      tables.push(tableFromIptables(table, 'iptables-nft', family));
      covered.add(tableKey(family, table.name));
    }
    const iptablesIndex = indexIptablesServices(iptablesSourceFromDump(dump, family));
    ipset ||= iptablesIndex.ipset;
    index.iptables.push(iptablesIndex);
  }
  if (dumps.nftRuleset !== undefined) {
    const dump = parseNftJson(dumps.nftRuleset);
    sources.unshift('nft');
    for (const [key, table] of tablesFromNft(dump, true)) if (!covered.has(key)) tables.push(table);
    for (const family of ['ip', 'ip6'] as const) {
      const source = nftKubeProxySourceFromDump(dump, family);
      if (source) index.nft.push(indexNftServices(source));
    }
  }
  for (const [text, family] of [
    [dumps.legacySave, 'ip'],
    [dumps.legacy6Save, 'ip6'],
  ] as const) {
    if (text === undefined) continue;
    const dump = parseIptables(text);
    if (!sources.includes('iptables-legacy')) sources.push('iptables-legacy');
    for (const table of dump.tables.values()) tables.push(tableFromIptables(table, 'iptables-legacy', family));
    const legacyIndex = indexIptablesServices(iptablesSourceFromDump(dump, family));
    ipset ||= legacyIndex.ipset;
    index.iptables.push(legacyIndex);
  }
  const { facts, unknown } = analyzeNetfilter({ tables, sources, interfaceNames: dumps.interfaceNames ?? [], ipsetServices: ipset });
  return { facts, unknown, serviceRules: (addresses) => lookupServiceRules(index, addresses, facts.kubeProxyMode) };
}

// ---- reading the live node ---------------------------------------------------------------------

export interface NetfilterReaderOptions {
  run?: ToolRunner;
  /** Directory standing in for /proc (for /proc/net/ip_tables_names). */
  procRoot?: string;
  /** Per tool call. */
  timeoutMs?: number;
  maxOutputBytes?: number;
  interfaceNames?: readonly string[];
  /**
   * kube-proxy tables with more chains than this are not listed rule by rule: nft 1.0.6 needs
   * ~0.4 s for 3,000 chains (1,000 Services) but ~10 s and 500 MB for 30,000.
   */
  nftTableChainLimit?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const DEFAULT_NFT_TABLE_CHAIN_LIMIT = 3_000;
/** Chain and table names passed back to the tools: what kube-proxy and CNIs use, nothing a shell could mistake. */
const SAFE_NAME = /^[A-Za-z0-9_.:/@-]{1,256}$/;

async function legacyTableNames(procRoot: string, file: string): Promise<string[] | string> {
  try {
    return (await readFile(join(procRoot, 'net', file), 'utf8'))
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
  } catch (error) {
    // No file = the kernel has no legacy xtables support at all: nothing can hide there.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return `unknown, because reading ${join(procRoot, 'net', file)} failed: ${(error as Error).message}`;
  }
}

export async function readNetfilter(options: NetfilterReaderOptions = {}): Promise<NetfilterSnapshot> {
  const run = options.run ?? runTool;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const chainLimit = options.nftTableChainLimit ?? DEFAULT_NFT_TABLE_CHAIN_LIMIT;
  const procRoot = options.procRoot ?? '/proc';
  const tool = (command: string, args: string[]) => run({ command, args, timeoutMs, maxBytes });
  const unknown: Record<string, string> = {};
  const sources: NetfilterSource[] = [];
  const tables: RuleTable[] = [];
  const iptablesBinary = { ip: 'iptables-nft', ip6: 'ip6tables-nft' } as const;

  const [chainList, legacy4, legacy6] = await Promise.all([
    tool('nft', ['-j', 'list', 'chains']),
    legacyTableNames(procRoot, 'ip_tables_names'),
    legacyTableNames(procRoot, 'ip6_tables_names'),
  ]);

  // Legacy tables: only when the kernel lists some, so a node without them costs no process.
  const legacyReads = (
    [
      [legacy4, 'ip'],
      [legacy6, 'ip6'],
    ] as const
  ).map(async ([names, family]) => ({
    names,
    family,
    result: typeof names === 'string' || names.length === 0 ? undefined : await tool(family === 'ip' ? 'iptables-legacy-save' : 'ip6tables-legacy-save', []),
  }));

  let nfTables = new Map<string, RuleTable>();
  let nftChains: NftChainInfo[] = [];
  let nfFailure: string | undefined;
  /** kube-proxy iptables views: ready ones from full dumps, live ones built on the first lookup. */
  const iptablesSources: IptablesChainSource[] = [];
  const liveIptables: (() => Promise<IptablesChainSource | string>)[] = [];

  if (chainList.ok) {
    try {
      const dump = parseNftJson(chainList.stdout);
      nftChains = dump.chains;
      nfTables = tablesFromNft(dump, false);
      sources.push('nft');
    } catch (error) {
      nfFailure = `unknown, because nft -j list chains printed something unreadable: ${(error as Error).message}`;
    }
  } else {
    nfFailure = unknownBecause(chainList);
  }

  if (nfFailure === undefined) {
    // Read what is on the forward path, plus the filter table for kube-proxy's REJECTs.
    const wanted = [...nfTables.values()].filter((table) => {
      const hasForward = [...table.chains.values()].some((chain) => chain.hook === 'forward');
      if (isXtablesTable(table.family, table.name)) return hasForward || table.name === 'filter';
      return hasForward && tableOwner(table) === undefined;
    });
    const read = await mapWithConcurrency(wanted, 4, async (skeleton): Promise<RuleTable> => {
      const family = skeleton.family as 'ip' | 'ip6';
      if (isXtablesTable(skeleton.family, skeleton.name)) {
        const result = await tool(iptablesBinary[family], ['-t', skeleton.name, '-S']);
        if (result.ok) {
          if (!sources.includes('iptables-nft')) sources.push('iptables-nft');
          const table = parseIptables(result.stdout, skeleton.name).tables.get(skeleton.name) ?? { name: skeleton.name, chains: new Map() };
          return tableFromIptables(table, 'iptables-nft', family);
        }
        if (!/incompatible/.test(result.reason + result.stderr)) {
          unknown[`netfilter.tables.${skeleton.display}`] = `${unknownBecause(result)}; its rules are read from nft -j without iptables' match details`;
        }
      }
      if (!SAFE_NAME.test(skeleton.name) || !/^[a-z0-9]+$/.test(skeleton.family)) {
        unknown[`netfilter.tables.${skeleton.display}`] = `unknown, because the table name is not one the agent passes to nft`;
        return skeleton;
      }
      const result = await tool('nft', ['-j', 'list', 'table', skeleton.family, skeleton.name]);
      if (!result.ok) {
        unknown[`netfilter.tables.${skeleton.display}`] = unknownBecause(result);
        return skeleton;
      }
      try {
        return tablesFromNft(parseNftJson(result.stdout), true).get(tableKey(skeleton.family, skeleton.name)) ?? skeleton;
      } catch (error) {
        unknown[`netfilter.tables.${skeleton.display}`] = `unknown, because nft -j list table printed something unreadable: ${(error as Error).message}`;
        return skeleton;
      }
    });
    const byKey = new Map(read.map((table) => [tableKey(table.family, table.name), table]));
    for (const [key, skeleton] of nfTables) tables.push(byKey.get(key) ?? skeleton);

    for (const family of ['ip', 'ip6'] as const) {
      const nat = nfTables.get(tableKey(family, 'nat'));
      if (!nat?.chains.has('KUBE-SERVICES')) continue;
      const filter = tables.find((table) => table.source === 'iptables-nft' && table.family === family && table.name === 'filter');
      liveIptables.push(() => liveIptablesSource(family, filter, nat, (args) => tool(iptablesBinary[family], args)));
    }
  } else {
    // Without nft (not installed, or unreadable output), iptables-save still shows the iptables
    // tables. It is slow on big rulesets, which is why it is only the fallback.
    const saves = await Promise.all([tool('iptables-nft-save', []), tool('ip6tables-nft-save', [])]);
    unknown['netfilter.nft'] = `${nfFailure}; native nftables tables not read`;
    saves.forEach((result, at) => {
      const family = at === 0 ? 'ip' : 'ip6';
      if (!result.ok) {
        unknown[`netfilter.iptables-nft.${family}`] = unknownBecause(result);
        return;
      }
      if (!sources.includes('iptables-nft')) sources.push('iptables-nft');
      const dump = parseIptables(result.stdout);
      for (const table of dump.tables.values()) tables.push(tableFromIptables(table, 'iptables-nft', family));
      iptablesSources.push(iptablesSourceFromDump(dump, family));
    });
  }

  let forwardPathUnknown: string | undefined;
  let legacyUnknown: string | undefined;
  for (const { names, family, result } of await Promise.all(legacyReads)) {
    if (typeof names === 'string') {
      legacyUnknown = names;
      forwardPathUnknown ??= names;
      continue;
    }
    if (result === undefined) continue;
    if (!result.ok) {
      // The agent holds CAP_NET_ADMIN; the legacy tools also open a raw socket (CAP_NET_RAW).
      const raw = /permission denied|cannot initialize/i.test(result.reason + result.stderr) ? ' (reading legacy tables needs CAP_NET_RAW as well)' : '';
      const reason = `unknown, because ${result.reason}${raw}; legacy tables present: ${names.join(', ')}`;
      legacyUnknown = reason;
      if (names.some((name) => name === 'filter' || name === 'mangle' || name === 'security')) forwardPathUnknown ??= reason;
      continue;
    }
    if (!sources.includes('iptables-legacy')) sources.push('iptables-legacy');
    const dump = parseIptables(result.stdout);
    for (const table of dump.tables.values()) tables.push(tableFromIptables(table, 'iptables-legacy', family));
    iptablesSources.push(iptablesSourceFromDump(dump, family));
  }

  if (sources.length === 0) {
    const reasons = [nfFailure, unknown['netfilter.iptables-nft.ip'], legacyUnknown].filter(Boolean);
    const netfilter = `unknown, because no netfilter tool answered: ${reasons.map((reason) => reason?.replace(/^unknown, because /, '')).join('; ')}`;
    return {
      facts: null,
      unknown: { netfilter },
      serviceRules: (addresses) => lookupServiceRules({ iptables: [], nft: [] }, addresses, null, netfilter),
    };
  }

  const readyIndexes = iptablesSources.map(indexIptablesServices);
  const analysis = analyzeNetfilter({
    tables,
    sources,
    interfaceNames: options.interfaceNames ?? [],
    ...(forwardPathUnknown ? { forwardPathUnknown } : {}),
    ...(legacyUnknown ? { legacyUnknown } : {}),
    ipsetServices: readyIndexes.some((index) => index.ipset),
  });
  Object.assign(unknown, analysis.unknown);
  const facts = analysis.facts;

  let iptablesIndexes: Promise<IptablesIndex[]> | undefined;
  const loadIptablesIndexes = (): Promise<IptablesIndex[]> =>
    (iptablesIndexes ??= Promise.all(liveIptables.map((create) => create())).then((results) => {
      const reasons = results.filter((result): result is string => typeof result === 'string');
      if (reasons.length > 0) unknown['netfilter.kube-proxy.iptables'] = reasons.join('; ');
      return [...readyIndexes, ...results.filter((result): result is IptablesChainSource => typeof result !== 'string').map(indexIptablesServices)];
    }));
  let nftIndexes: Promise<NftIndex[]> | undefined;
  const kubeProxyTables = [...nfTables.values()].filter((table) => table.name === 'kube-proxy' && (table.family === 'ip' || table.family === 'ip6'));
  const loadNftIndexes = (): Promise<NftIndex[]> =>
    (nftIndexes ??= mapWithConcurrency(kubeProxyTables, 2, async (table) => {
      const family = table.family as 'ip' | 'ip6';
      const source = await liveNftKubeProxySource(family, table, nftChains, chainLimit, (args) => tool('nft', args));
      return typeof source === 'string' ? source : indexNftServices(source);
    }).then((results) => {
      const reasons = results.filter((result): result is string => typeof result === 'string');
      if (reasons.length > 0) unknown['netfilter.kube-proxy'] = reasons.join('; ');
      return results.filter((result): result is NftIndex => typeof result !== 'string');
    }));

  return {
    facts,
    unknown,
    serviceRules: async (addresses) => {
      if (addresses.length === 0) return [];
      const [nft, iptables] = await Promise.all([kubeProxyTables.length > 0 ? loadNftIndexes() : [], loadIptablesIndexes()]);
      // KUBE-SERVICES is read only now; its ipset matches are IPVS mode's mark where neither
      // kube-ipvs0 nor a KUBE-IPVS chain told (older kube-proxy). The facts are not sent yet.
      if (facts.kubeProxyMode === 'iptables' && iptables.some((index) => index.ipset)) facts.kubeProxyMode = 'ipvs';
      const failed =
        facts.kubeProxyMode === 'nftables' && nft.length === 0
          ? unknown['netfilter.kube-proxy']
          : facts.kubeProxyMode === 'iptables' && iptables.length === 0
            ? unknown['netfilter.kube-proxy.iptables']
            : undefined;
      return lookupServiceRules({ iptables, nft }, addresses, facts.kubeProxyMode, failed, (address) => ipvsServiceRules(address, run, timeoutMs));
    },
  };
}

/** kube-proxy's iptables chains read on demand with `iptables-nft -t nat -S <chain>`, each once. */
async function liveIptablesSource(
  family: 'ip' | 'ip6',
  filter: RuleTable | undefined,
  nat: RuleTable,
  iptables: (args: string[]) => Promise<ToolResult>,
): Promise<IptablesChainSource | string> {
  const cache = new Map<string, Promise<IptRule[] | undefined | string>>();
  const natChain = (name: string): Promise<IptRule[] | undefined | string> => {
    if (!nat.chains.has(name)) return Promise.resolve(undefined);
    if (!SAFE_NAME.test(name)) return Promise.resolve(`chain name ${JSON.stringify(name.slice(0, 40))} is not one the agent passes to iptables`);
    let pending = cache.get(name);
    if (!pending) {
      pending = iptables(['-t', 'nat', '-S', name]).then((result) =>
        result.ok ? (parseIptables(result.stdout, 'nat').tables.get('nat')?.chains.get(name)?.rules ?? []) : unknownBecause(result).replace(/^unknown, because /, ''),
      );
      cache.set(name, pending);
    }
    return pending;
  };
  const services = await natChain('KUBE-SERVICES');
  if (typeof services === 'string') return `unknown, because ${services}`;
  // The filter table was read as RuleTable entries; kube-proxy's REJECTs only need text and verdict.
  const filterRejects = ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES']
    .flatMap((chain) => (filter?.chains.get(chain)?.rules ?? []).map((rule) => ({ chain, rule })))
    .filter(({ rule }) => rule.verdict !== undefined)
    .map(({ chain, rule }): IptRule => ({ chain, text: rule.text, target: rule.verdict === 'drop' ? 'DROP' : 'REJECT', goto: false }));
  return { family, natServices: services, filterRejects, natChain };
}

async function liveNftKubeProxySource(
  family: 'ip' | 'ip6',
  table: RuleTable,
  chains: readonly NftChainInfo[],
  chainLimit: number,
  nft: (args: string[]) => Promise<ToolResult>,
): Promise<NftKubeProxySource | string> {
  if (table.chains.size <= chainLimit) {
    const result = await nft(['-j', 'list', 'table', family, 'kube-proxy']);
    if (!result.ok) return unknownBecause(result);
    try {
      return nftKubeProxySourceFromDump(parseNftJson(result.stdout), family) ?? `unknown, because table ${family} kube-proxy was empty`;
    } catch (error) {
      return `unknown, because nft -j list table ${family} kube-proxy printed something unreadable: ${(error as Error).message}`;
    }
  }
  const entries: { key: unknown; verdict: NftVerdict }[][] = [];
  for (const name of ['service-ips', 'no-endpoint-services']) {
    if (!table.chains.size) break;
    const result = await nft(['-j', 'list', 'map', family, 'kube-proxy', name]);
    if (!result.ok) return unknownBecause(result);
    try {
      entries.push(verdictMapEntries(parseNftJson(result.stdout).sets[0]?.elem ?? []));
    } catch (error) {
      return `unknown, because nft -j list map ${family} kube-proxy ${name} printed something unreadable: ${(error as Error).message}`;
    }
  }
  const names = chains.filter((chain) => chain.family === family && chain.table === 'kube-proxy').map((chain) => chain.name);
  const fromNames = nftBackendsFromChainNames(names);
  return {
    family,
    serviceIps: entries[0] ?? [],
    noEndpoints: entries[1] ?? [],
    backendsOf: async (serviceChain) => fromNames(serviceChain),
  };
}
