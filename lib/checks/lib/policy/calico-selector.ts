import type { Labels } from '../../../model/index.js';

// Calico's selector language (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors):
//   k == 'v', k != 'v', has(k), !has(k), k in {'a','b'}, k not in {…}, k contains 's',
//   k starts with 's', k ends with 's', all(), global(), !expr, a && b, a || b, ( … ).
// An empty selector means all(). Unlike a label selector, it is a string users type, so a
// selector that does not parse is reported as such ("unknown, because …"), never matched.

export type CalicoSelector = (labels: Labels) => boolean;

export class CalicoSelectorError extends Error {
  override name = 'CalicoSelectorError';
}

type Token = { kind: 'ident' | 'string' | 'op' | 'punct'; text: string };

const OPERATORS = ['&&', '||', '==', '!=', '!'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new CalicoSelectorError(`unterminated string at ${i}`);
      tokens.push({ kind: 'string', text: text.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op });
      i += op.length;
      continue;
    }
    if ('(){},'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
      continue;
    }
    const match = /^[A-Za-z0-9_./-]+/.exec(text.slice(i));
    if (!match) throw new CalicoSelectorError(`unexpected "${c}" at ${i}`);
    tokens.push({ kind: 'ident', text: match[0] });
    i += match[0].length;
  }
  return tokens;
}

class Parser {
  private pos = 0;
  /** The label keys the selector reads. */
  readonly keys = new Set<string>();
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    if (!token) throw new CalicoSelectorError('unexpected end of selector');
    return token;
  }

  private expect(kind: Token['kind'], text?: string): Token {
    const token = this.next();
    if (token.kind !== kind || (text !== undefined && token.text !== text)) throw new CalicoSelectorError(`expected ${text ?? kind}, got "${token.text}"`);
    return token;
  }

  parse(): CalicoSelector {
    if (this.tokens.length === 0) return () => true;
    const expr = this.or();
    if (this.pos < this.tokens.length) throw new CalicoSelectorError(`unexpected "${this.peek()?.text}"`);
    return expr;
  }

  private or(): CalicoSelector {
    let left = this.and();
    while (this.peek()?.text === '||') {
      this.next();
      const l = left;
      const r = this.and();
      left = (labels) => l(labels) || r(labels);
    }
    return left;
  }

  private and(): CalicoSelector {
    let left = this.unary();
    while (this.peek()?.text === '&&') {
      this.next();
      const l = left;
      const r = this.unary();
      left = (labels) => l(labels) && r(labels);
    }
    return left;
  }

  private unary(): CalicoSelector {
    if (this.peek()?.text === '!') {
      this.next();
      const inner = this.unary();
      return (labels) => !inner(labels);
    }
    return this.primary();
  }

  private stringSet(): Set<string> {
    this.expect('punct', '{');
    const values = new Set<string>();
    if (this.peek()?.text !== '}') {
      values.add(this.expect('string').text);
      while (this.peek()?.text === ',') {
        this.next();
        values.add(this.expect('string').text);
      }
    }
    this.expect('punct', '}');
    return values;
  }

  private primary(): CalicoSelector {
    const token = this.next();
    if (token.kind === 'punct' && token.text === '(') {
      const inner = this.or();
      this.expect('punct', ')');
      return inner;
    }
    if (token.kind !== 'ident') throw new CalicoSelectorError(`unexpected "${token.text}"`);
    if ((token.text === 'all' || token.text === 'global' || token.text === 'has') && this.peek()?.text === '(') {
      this.next();
      if (token.text === 'has') {
        const key = this.expect('ident').text;
        this.keys.add(key);
        this.expect('punct', ')');
        return (labels) => Object.prototype.hasOwnProperty.call(labels, key);
      }
      this.expect('punct', ')');
      // global() matches non-namespaced endpoints (host endpoints, global network sets): never a pod.
      return token.text === 'all' ? () => true : () => false;
    }
    const key = token.text;
    this.keys.add(key);
    const op = this.next();
    if (op.text === '==' || op.text === '!=') {
      const value = this.expect('string').text;
      return op.text === '==' ? (labels) => labels[key] === value : (labels) => labels[key] !== value;
    }
    if (op.kind === 'ident' && op.text === 'in') {
      const values = this.stringSet();
      return (labels) => labels[key] !== undefined && values.has(labels[key] as string);
    }
    if (op.kind === 'ident' && op.text === 'not' && this.peek()?.text === 'in') {
      this.next();
      const values = this.stringSet();
      return (labels) => labels[key] === undefined || !values.has(labels[key] as string);
    }
    if (op.kind === 'ident' && op.text === 'contains') {
      const value = this.expect('string').text;
      return (labels) => labels[key]?.includes(value) ?? false;
    }
    if (op.kind === 'ident' && (op.text === 'starts' || op.text === 'ends')) {
      this.expect('ident', 'with');
      const value = this.expect('string').text;
      return op.text === 'starts' ? (labels) => labels[key]?.startsWith(value) ?? false : (labels) => labels[key]?.endsWith(value) ?? false;
    }
    throw new CalicoSelectorError(`unexpected "${op.text}" after "${key}"`);
  }
}

const compiled = new Map<string, { select: CalicoSelector; keys: ReadonlySet<string> } | CalicoSelectorError>();

function compile(text: string | undefined): { select: CalicoSelector; keys: ReadonlySet<string> } {
  const source = (text ?? '').trim();
  let entry = compiled.get(source);
  if (!entry) {
    try {
      const parser = new Parser(tokenize(source));
      entry = { select: parser.parse(), keys: parser.keys };
    } catch (e) {
      entry = e instanceof CalicoSelectorError ? e : new CalicoSelectorError(String(e));
    }
    compiled.set(source, entry);
  }
  if (entry instanceof CalicoSelectorError) throw new CalicoSelectorError(`selector "${source}" does not parse: ${entry.message}`);
  return entry;
}

/** Compiles (once per text) a Calico selector; throws CalicoSelectorError when it does not parse. */
export function calicoSelector(text: string | undefined): CalicoSelector {
  return compile(text).select;
}

/** The label keys a selector reads; throws CalicoSelectorError when it does not parse. */
export function calicoSelectorKeys(text: string | undefined): ReadonlySet<string> {
  return compile(text).keys;
}

/**
 * The `key == 'value'` terms a selector ANDs at its top level (none when it has `||`): labels
 * every matching endpoint must carry. An index hint only; matching always runs the selector.
 */
export function requiredLabels(text: string | undefined): { key: string; value: string }[] {
  let tokens: Token[];
  try {
    tokens = tokenize((text ?? '').trim());
  } catch {
    return [];
  }
  if (tokens.some((t) => t.text === '||')) return [];
  const out: { key: string; value: string }[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    const before = tokens[i - 1];
    const top = depth === 0 && (before === undefined || before.text === '&&');
    if (top && t.kind === 'ident' && tokens[i + 1]?.text === '==' && tokens[i + 2]?.kind === 'string') out.push({ key: t.text, value: (tokens[i + 2] as Token).text });
  }
  return out;
}
