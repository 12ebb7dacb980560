/** The subset of IoT Hub's query language the fleet commands use: SELECT * FROM devices[.modules] [WHERE ...]. */

export type QuerySource = 'devices' | 'devices.modules';

export interface ParsedQuery {
  source: QuerySource;
  matches(doc: Record<string, unknown>): boolean;
}

export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
}

type Literal = string | number | boolean | null;
type Token = { kind: 'word'; text: string } | { kind: 'literal'; value: Literal } | { kind: 'punct'; text: string };
type Predicate = (doc: Record<string, unknown>) => boolean;

const PUNCT = ['<=', '>=', '!=', '<>', '=', '<', '>', '(', ')', ',', '*'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new QuerySyntaxError('unterminated string literal');
        const d = text[i] ?? '';
        if (d === c && text[i + 1] === c) { value += c; i += 2; continue; }
        if (d === c) { i++; break; }
        value += d;
        i++;
      }
      tokens.push({ kind: 'literal', value });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!m) throw new QuerySyntaxError(`unexpected '${c}' at ${i}`);
      tokens.push({ kind: 'literal', value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*/.exec(text.slice(i));
      const word = m?.[0] ?? c;
      tokens.push({ kind: 'word', text: word });
      i += word.length;
    } else {
      const p = PUNCT.find((x) => text.startsWith(x, i));
      if (!p) throw new QuerySyntaxError(`unexpected '${c}' at ${i}`);
      tokens.push({ kind: 'punct', text: p });
      i += p.length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly source: QuerySource) {}

  parse(): Predicate {
    const cond = this.or();
    if (this.pos < this.tokens.length) throw new QuerySyntaxError(`unexpected '${describe(this.tokens[this.pos])}'`);
    return cond;
  }

  private peekWord(word: string): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === 'word' && t.text.toUpperCase() === word;
  }

  private peekPunct(text: string): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === 'punct' && t.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.peekPunct(text)) throw new QuerySyntaxError(`expected '${text}' but found '${describe(this.tokens[this.pos])}'`);
    this.pos++;
  }

  private or(): Predicate {
    const parts = [this.and()];
    while (this.peekWord('OR')) { this.pos++; parts.push(this.and()); }
    return parts.length === 1 ? (parts[0] as Predicate) : (doc) => parts.some((p) => p(doc));
  }

  private and(): Predicate {
    const parts = [this.not()];
    while (this.peekWord('AND')) { this.pos++; parts.push(this.not()); }
    return parts.length === 1 ? (parts[0] as Predicate) : (doc) => parts.every((p) => p(doc));
  }

  private not(): Predicate {
    if (this.peekWord('NOT')) {
      this.pos++;
      const inner = this.not();
      return (doc) => !inner(doc);
    }
    return this.primary();
  }

  private primary(): Predicate {
    if (this.peekPunct('(')) {
      this.pos++;
      const inner = this.or();
      this.expectPunct(')');
      return inner;
    }
    if (this.peekWord('IS_DEFINED')) {
      this.pos++;
      this.expectPunct('(');
      const path = this.path();
      this.expectPunct(')');
      return (doc) => resolve(doc, path) !== undefined;
    }
    const path = this.path();
    const op = this.tokens[this.pos];
    if (op?.kind !== 'punct' || !['=', '!=', '<>', '<', '>', '<=', '>='].includes(op.text)) {
      throw new QuerySyntaxError(`expected a comparison after '${path.join('.')}'`);
    }
    this.pos++;
    const lit = this.tokens[this.pos];
    if (lit?.kind !== 'literal' && !(lit?.kind === 'word' && /^(true|false|null)$/i.test(lit.text))) {
      throw new QuerySyntaxError(`expected a value after '${op.text}'`);
    }
    this.pos++;
    const value: Literal = lit.kind === 'literal' ? lit.value : JSON.parse(lit.text.toLowerCase()) as Literal;
    return (doc) => compare(resolve(doc, path), op.text, value);
  }

  private path(): string[] {
    const t = this.tokens[this.pos];
    if (t?.kind !== 'word') throw new QuerySyntaxError(`expected a property name but found '${describe(t)}'`);
    this.pos++;
    let text = t.text;
    // Module twins are addressed as devices.modules.x (or devices.x for the device id); device twins as devices.x.
    for (const prefix of this.source === 'devices.modules' ? ['devices.modules.', 'devices.'] : ['devices.']) {
      if (text.startsWith(prefix)) { text = text.slice(prefix.length); break; }
    }
    return text.split('.');
  }
}

function describe(t: Token | undefined): string {
  if (!t) return 'end of query';
  return t.kind === 'literal' ? JSON.stringify(t.value) : t.text;
}

function resolve(doc: Record<string, unknown>, path: string[]): unknown {
  let current: unknown = doc;
  for (const part of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function compare(actual: unknown, op: string, expected: Literal): boolean {
  if (op === '=') return actual === expected;
  if (op === '!=' || op === '<>') return actual !== undefined && actual !== expected;
  if (typeof actual !== typeof expected || (typeof actual !== 'number' && typeof actual !== 'string')) return false;
  const a = actual as number | string;
  const b = expected as number | string;
  if (op === '<') return a < b;
  if (op === '>') return a > b;
  if (op === '<=') return a <= b;
  return a >= b;
}

/** Parses `SELECT * FROM devices|devices.modules [WHERE condition]`; throws QuerySyntaxError otherwise. */
export function parseQuery(text: string): ParsedQuery {
  const tokens = tokenize(text);
  const word = (i: number): string | undefined => {
    const t = tokens[i];
    return t?.kind === 'word' ? t.text : undefined;
  };
  if (word(0)?.toUpperCase() !== 'SELECT') throw new QuerySyntaxError('a query starts with SELECT');
  const star = tokens[1];
  if (star?.kind !== 'punct' || star.text !== '*') throw new QuerySyntaxError('only SELECT * is supported');
  if (word(2)?.toUpperCase() !== 'FROM') throw new QuerySyntaxError('expected FROM after SELECT *');
  const from = word(3)?.toLowerCase();
  if (from !== 'devices' && from !== 'devices.modules') throw new QuerySyntaxError('FROM must be devices or devices.modules');
  if (tokens.length === 4) return { source: from, matches: () => true };
  if (word(4)?.toUpperCase() !== 'WHERE') throw new QuerySyntaxError(`unexpected '${describe(tokens[4])}' after FROM ${from}`);
  const predicate = new Parser(tokens.slice(5), from).parse();
  return { source: from, matches: predicate };
}
