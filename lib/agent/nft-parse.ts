// Pure parsers for `nft -j list …` output (nftables 1.0.x JSON schema 1), and a compact renderer
// that turns a rule's expressions back into nft syntax for evidence. Text in, plain data out.

export interface NftChainInfo {
  family: string;
  table: string;
  name: string;
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
}

export interface NftRuleInfo {
  family: string;
  table: string;
  chain: string;
  expr: unknown[];
  comment?: string;
}

/** A set or map with its elements as printed (maps: `[key, value]` pairs). */
export interface NftSetInfo {
  family: string;
  table: string;
  name: string;
  /** 'verdict' for verdict maps; undefined for plain sets. */
  map?: string;
  elem: unknown[];
}

export interface NftDump {
  tables: { family: string; name: string }[];
  chains: NftChainInfo[];
  rules: NftRuleInfo[];
  sets: NftSetInfo[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Parse `nft -j list ruleset|tables|chains|table|map …`. Throws on text that is not nft JSON. */
export function parseNftJson(text: string): NftDump {
  const parsed = JSON.parse(text) as unknown;
  if (!isObject(parsed) || !Array.isArray(parsed.nftables)) throw new Error('not nft JSON: no "nftables" array');
  const dump: NftDump = { tables: [], chains: [], rules: [], sets: [] };
  for (const entry of parsed.nftables as unknown[]) {
    if (!isObject(entry)) continue;
    if (isObject(entry.table)) {
      const family = str(entry.table.family);
      const name = str(entry.table.name);
      if (family && name) dump.tables.push({ family, name });
    } else if (isObject(entry.chain)) {
      const chain = entry.chain;
      const family = str(chain.family);
      const table = str(chain.table);
      const name = str(chain.name);
      if (!family || !table || !name) continue;
      const info: NftChainInfo = { family, table, name };
      if (str(chain.type)) info.type = chain.type as string;
      if (str(chain.hook)) info.hook = chain.hook as string;
      if (typeof chain.prio === 'number') info.prio = chain.prio;
      if (str(chain.policy)) info.policy = chain.policy as string;
      dump.chains.push(info);
    } else if (isObject(entry.rule)) {
      const rule = entry.rule;
      const family = str(rule.family);
      const table = str(rule.table);
      const chain = str(rule.chain);
      if (!family || !table || !chain) continue;
      const info: NftRuleInfo = { family, table, chain, expr: Array.isArray(rule.expr) ? rule.expr : [] };
      if (str(rule.comment)) info.comment = rule.comment as string;
      dump.rules.push(info);
    } else if (isObject(entry.map) || isObject(entry.set)) {
      const set = (entry.map ?? entry.set) as Json;
      const family = str(set.family);
      const table = str(set.table);
      const name = str(set.name);
      if (!family || !table || !name) continue;
      const info: NftSetInfo = { family, table, name, elem: Array.isArray(set.elem) ? set.elem : [] };
      if (str(set.map)) info.map = set.map as string;
      dump.sets.push(info);
    }
  }
  return dump;
}

export type NftVerdict = { kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue' } | { kind: 'jump' | 'goto'; target: string };

/** A verdict expression (`{"drop": null}`, `{"goto": {"target": "x"}}`, `{"reject": …}`), if it is one. */
export function verdictOf(value: unknown): NftVerdict | undefined {
  if (!isObject(value)) return undefined;
  for (const kind of ['accept', 'drop', 'reject', 'return', 'continue'] as const) if (kind in value) return { kind };
  for (const kind of ['jump', 'goto'] as const) {
    const target = isObject(value[kind]) ? str((value[kind] as Json).target) : undefined;
    if (target) return { kind, target };
  }
  return undefined;
}

/** Key of a set/map element, unwrapping `{"elem": {"val": …, "comment": …}}`. */
export function elementKey(value: unknown): unknown {
  return isObject(value) && isObject(value.elem) && 'val' in value.elem ? value.elem.val : value;
}

/** The parts of a concatenated key (`{"concat": ["10.96.0.20", "tcp", 80]}`), or the key alone. */
export function keyParts(value: unknown): unknown[] {
  const key = elementKey(value);
  return isObject(key) && Array.isArray(key.concat) ? key.concat : [key];
}

/** `[key, verdict]` pairs of a verdict map's elements. */
export function verdictMapEntries(elements: readonly unknown[]): { key: unknown; verdict: NftVerdict }[] {
  const entries: { key: unknown; verdict: NftVerdict }[] = [];
  for (const element of elements) {
    if (!Array.isArray(element) || element.length !== 2) continue;
    const verdict = verdictOf(element[1]);
    if (verdict) entries.push({ key: element[0], verdict });
  }
  return entries;
}

export interface NftStatementSummary {
  /** Terminal drop/reject of the rule itself, or inside an inline verdict map. */
  verdict?: 'drop' | 'reject';
  /** Chains this rule can jump or go to (inline vmaps included). */
  jumps: string[];
  /** Named maps it dispatches through (`vmap @service-ips`), whose elements hold more jumps. */
  vmapRefs: string[];
}

export function summarizeRule(expr: readonly unknown[]): NftStatementSummary {
  const summary: NftStatementSummary = { jumps: [], vmapRefs: [] };
  const note = (verdict: NftVerdict | undefined): void => {
    if (!verdict) return;
    if (verdict.kind === 'drop' || verdict.kind === 'reject') summary.verdict ??= verdict.kind;
    else if (verdict.kind === 'jump' || verdict.kind === 'goto') summary.jumps.push(verdict.target);
  };
  for (const statement of expr) {
    note(verdictOf(statement));
    if (isObject(statement) && isObject(statement.vmap)) {
      const data = statement.vmap.data;
      if (typeof data === 'string' && data.startsWith('@')) summary.vmapRefs.push(data.slice(1));
      else if (isObject(data) && Array.isArray(data.set)) for (const { verdict } of verdictMapEntries(data.set)) note(verdict);
    }
  }
  return summary;
}

// ---- rendering ----------------------------------------------------------------------------

const QUOTED_META = new Set(['iifname', 'oifname', 'iifgroup', 'oifgroup']);
const BARE_META = new Set(['iifname', 'oifname', 'iif', 'oif']);

function renderValue(value: unknown, quote = false): string {
  if (typeof value === 'string') return quote ? `"${value}"` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, quote)).join(', ');
  if (!isObject(value)) return JSON.stringify(value);
  if (isObject(value.payload)) return `${str(value.payload.protocol) ?? '?'} ${str(value.payload.field) ?? '?'}`;
  if (isObject(value.meta)) {
    const key = str(value.meta.key) ?? '?';
    return BARE_META.has(key) ? key : `meta ${key}`;
  }
  if (isObject(value.ct)) return `ct ${str(value.ct.key) ?? '?'}`;
  if (isObject(value.prefix)) return `${renderValue(value.prefix.addr)}/${renderValue(value.prefix.len)}`;
  if (Array.isArray(value.range)) return value.range.map((item) => renderValue(item)).join('-');
  if (Array.isArray(value.set)) return `{ ${value.set.map((item) => renderSetItem(item, quote)).join(', ')} }`;
  if (Array.isArray(value.concat)) return value.concat.map((item) => renderValue(item)).join(' . ');
  if (isObject(value.elem) && 'val' in value.elem) return renderValue(value.elem.val, quote);
  if (isObject(value.numgen)) return `numgen ${str(value.numgen.mode) ?? 'random'} mod ${renderValue(value.numgen.mod)}`;
  if (Array.isArray(value['|'])) return value['|'].map((item) => renderValue(item)).join(' | ');
  if (Array.isArray(value['&'])) return value['&'].map((item) => renderValue(item)).join(' & ');
  const verdict = verdictOf(value);
  if (verdict) return 'target' in verdict ? `${verdict.kind} ${verdict.target}` : verdict.kind;
  return JSON.stringify(value);
}

function renderSetItem(item: unknown, quote: boolean): string {
  if (Array.isArray(item) && item.length === 2) return `${renderValue(item[0], quote)} : ${renderValue(item[1])}`;
  return renderValue(item, quote);
}

function renderStatement(statement: unknown): string | undefined {
  if (!isObject(statement)) return JSON.stringify(statement);
  const [kind] = Object.keys(statement);
  const body = kind === undefined ? undefined : statement[kind];
  switch (kind) {
    case 'match': {
      if (!isObject(body)) break;
      const left = body.left;
      const quote = isObject(left) && isObject(left.meta) && QUOTED_META.has(str(left.meta.key) ?? '');
      const op = str(body.op) ?? '==';
      return `${renderValue(left)} ${op === '==' || op === 'in' ? '' : `${op} `}${renderValue(body.right, quote)}`;
    }
    case 'counter':
      return undefined;
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return kind;
    case 'jump':
    case 'goto':
      return `${kind} ${isObject(body) ? (str(body.target) ?? '?') : '?'}`;
    case 'reject': {
      if (!isObject(body)) return 'reject';
      const type = str(body.type);
      const code = str(body.expr);
      if (type === 'tcp reset') return 'reject with tcp reset';
      return code ? `reject with ${type === 'icmpx' ? 'icmpx' : (type ?? 'icmp')} ${code}` : 'reject';
    }
    case 'dnat':
    case 'snat': {
      if (!isObject(body)) return kind;
      const family = str(body.family);
      const addr = body.addr === undefined ? '' : renderValue(body.addr);
      const port = body.port === undefined ? '' : `:${renderValue(body.port)}`;
      return `${kind}${family ? ` ${family}` : ''} to ${addr}${port}`;
    }
    case 'masquerade':
      return 'masquerade';
    case 'vmap':
      if (!isObject(body)) break;
      return `${renderValue(body.key)} vmap ${renderValue(body.data)}`;
    case 'mangle':
      if (!isObject(body)) break;
      return `${renderValue(body.key)} set ${renderValue(body.value)}`;
    case 'log':
      return 'log';
    case 'limit':
      return isObject(body) ? `limit rate ${renderValue(body.rate)}/${renderValue(body.per)}` : 'limit';
    case 'xt':
      return isObject(body) ? `xt ${str(body.type) ?? '?'} "${str(body.name) ?? '?'}"` : 'xt';
    default:
      break;
  }
  return JSON.stringify(statement);
}

/** A rule's expressions as nft prints them (close enough to paste into `nft list ruleset` output). */
export function renderNftRule(expr: readonly unknown[]): string {
  return expr
    .map(renderStatement)
    .filter((text): text is string => text !== undefined && text !== '')
    .join(' ');
}
