// A parser and evaluator for the CloudWatch Logs JSON filter-pattern syntax, so the alarm
// catalog's patterns are tested against realistic CloudTrail events instead of trusted blindly.
//
// Only tests evaluate patterns (the service and the sandbox never do), so it lives beside them in
// test/helpers with its own tests (filter-pattern.test.ts).
//
// Supported: `{ expr }` with `&&`, `||` (&& binds tighter, as usual; use parentheses when in
// doubt), parentheses, selectors `$.a.b` and `$.a[0]`, `=`/`!=` on quoted or unquoted strings with
// `*` wildcards, numeric `= != < > <= >=` on numbers in any documented form (`1000`, `+1000`,
// `-1.5`, `10e3`, `1e-3`: compared as numbers), `=`/`!=` on `%regex%` values (CloudWatch Logs
// User Guide, "Filter pattern syntax": "Supported regular expressions (regex) syntax"),
// `NOT EXISTS`, `IS NULL`, `IS TRUE`, `IS FALSE`.
// As in CloudWatch Logs, a comparison on a field the event lacks is false (`!=` included).

export type Selector = (string | number)[];

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'compare'; path: Selector; op: '=' | '!=' | '<' | '>' | '<=' | '>='; value: Literal }
  | { kind: 'notExists'; path: Selector }
  | { kind: 'isNull'; path: Selector }
  | { kind: 'isBool'; path: Selector; value: boolean };

export type Literal =
  | { type: 'string'; text: string; quoted: boolean }
  | { type: 'number'; value: number }
  | { type: 'regex'; source: string; regex: RegExp };

/** A number as filter patterns write it: optional sign, decimals, exponent. */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * What a %regex% may contain: alphanumerics, the symbols : _ # = @ / ; , - and the operators
 * ^ $ ? [ ] { } | \ * + . ; "The () operator is not supported" and multi-byte characters are not
 * either (same page).
 */
const REGEX_CHARS = /^[A-Za-z0-9:_#=@/;,\-^$?[\]{}|\\*+.]+$/;
/** "the regex is limited to 2 per filter pattern" for JSON and space-delimited patterns. */
export const MAX_REGEX_PER_PATTERN = 2;

export class FilterPatternError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
    this.name = 'FilterPatternError';
    this.position = position;
  }
}

type Token =
  | { t: 'lbrace' | 'rbrace' | 'lparen' | 'rparen' | 'and' | 'or'; pos: number }
  | { t: 'op'; v: '=' | '!=' | '<' | '>' | '<=' | '>='; pos: number }
  | { t: 'selector'; v: Selector; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'regex'; v: string; pos: number }
  | { t: 'word'; v: string; pos: number };

const WORD_END = /[\s()&|{}=!<>]/;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = i;
    const two = src.slice(i, i + 2);
    const punct: Record<string, 'lbrace' | 'rbrace' | 'lparen' | 'rparen'> = {
      '{': 'lbrace',
      '}': 'rbrace',
      '(': 'lparen',
      ')': 'rparen',
    };
    if (two === '&&' || two === '||') {
      out.push({ t: two === '&&' ? 'and' : 'or', pos });
      i += 2;
    } else if (two === '!=' || two === '<=' || two === '>=') {
      out.push({ t: 'op', v: two, pos });
      i += 2;
    } else if (c === '=' || c === '<' || c === '>') {
      out.push({ t: 'op', v: c, pos });
      i++;
    } else if (punct[c]) {
      out.push({ t: punct[c], pos });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        text += src[j];
        j++;
      }
      if (j >= src.length) throw new FilterPatternError('unterminated string', pos);
      out.push({ t: 'string', v: text, pos });
      i = j + 1;
    } else if (c === '%') {
      const j = src.indexOf('%', i + 1);
      if (j < 0) throw new FilterPatternError('unterminated %regex%', pos);
      const body = src.slice(i + 1, j);
      if (!body) throw new FilterPatternError('empty %regex%', pos);
      if (!REGEX_CHARS.test(body))
        throw new FilterPatternError(
          `%regex% may only hold letters, digits, :_#=@/;,- and ^$?[]{}|\\*+. (no parentheses)`,
          pos,
        );
      out.push({ t: 'regex', v: body, pos });
      i = j + 1;
    } else if (c === '$') {
      const path: Selector = [];
      i++;
      while (i < src.length && (src[i] === '.' || src[i] === '[')) {
        if (src[i] === '.') {
          const m = /^[A-Za-z0-9_@:-]+/.exec(src.slice(i + 1));
          if (!m) throw new FilterPatternError('expected a property name after "."', i);
          path.push(m[0]);
          i += 1 + m[0].length;
        } else {
          const m = /^\[(\d+)\]/.exec(src.slice(i));
          if (!m) throw new FilterPatternError('expected [index]', i);
          path.push(Number(m[1]));
          i += m[0].length;
        }
      }
      if (path.length === 0) throw new FilterPatternError('selector must name a property', pos);
      out.push({ t: 'selector', v: path, pos });
    } else {
      let j = i;
      while (j < src.length && !WORD_END.test(src[j]!)) j++;
      if (j === i) throw new FilterPatternError(`unexpected character ${JSON.stringify(c)}`, pos);
      out.push({ t: 'word', v: src.slice(i, j), pos });
      i = j;
    }
  }
  return out;
}

class Parser {
  private i = 0;
  private regexes = 0;
  private readonly tokens: Token[];
  private readonly end: number;
  constructor(tokens: Token[], end: number) {
    this.tokens = tokens;
    this.end = end;
  }
  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(what: string): Token {
    const tok = this.tokens[this.i++];
    if (!tok) throw new FilterPatternError(`expected ${what}, found end of pattern`, this.end);
    return tok;
  }
  parsePattern(): Expr {
    const open = this.next('"{"');
    if (open.t !== 'lbrace') throw new FilterPatternError('JSON pattern must start with "{"', open.pos);
    const expr = this.parseOr();
    const close = this.next('"}"');
    if (close.t !== 'rbrace') throw new FilterPatternError('expected "}"', close.pos);
    const extra = this.peek();
    if (extra) throw new FilterPatternError('unexpected text after "}"', extra.pos);
    return expr;
  }
  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.peek()?.t === 'or') {
      this.i++;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }
  private parseAnd(): Expr {
    let left = this.parsePrimary();
    while (this.peek()?.t === 'and') {
      this.i++;
      left = { kind: 'and', left, right: this.parsePrimary() };
    }
    return left;
  }
  private parsePrimary(): Expr {
    const tok = this.next('a condition');
    if (tok.t === 'lparen') {
      const inner = this.parseOr();
      const close = this.next('")"');
      if (close.t !== 'rparen') throw new FilterPatternError('expected ")"', close.pos);
      return inner;
    }
    if (tok.t !== 'selector') throw new FilterPatternError('expected a selector like $.field', tok.pos);
    const path = tok.v;
    const op = this.next('an operator');
    if (op.t === 'word') {
      const w1 = op.v.toUpperCase();
      const second = this.next(`a word after ${op.v}`);
      const w2 = second.t === 'word' ? second.v.toUpperCase() : '';
      if (w1 === 'NOT' && w2 === 'EXISTS') return { kind: 'notExists', path };
      if (w1 === 'IS' && w2 === 'NULL') return { kind: 'isNull', path };
      if (w1 === 'IS' && (w2 === 'TRUE' || w2 === 'FALSE'))
        return { kind: 'isBool', path, value: w2 === 'TRUE' };
      throw new FilterPatternError(`unknown test ${op.v} ${w2}`, op.pos);
    }
    if (op.t !== 'op') throw new FilterPatternError('expected an operator', op.pos);
    const v = this.next('a value');
    let value: Literal;
    if (v.t === 'string') value = { type: 'string', text: v.v, quoted: true };
    else if (v.t === 'regex') {
      if (++this.regexes > MAX_REGEX_PER_PATTERN)
        throw new FilterPatternError(`at most ${MAX_REGEX_PER_PATTERN} %regex% per pattern`, v.pos);
      let regex: RegExp;
      try {
        regex = new RegExp(v.v);
      } catch (err) {
        throw new FilterPatternError(`invalid %regex%: ${(err as Error).message}`, v.pos);
      }
      value = { type: 'regex', source: v.v, regex };
    } else if (v.t === 'word') {
      value = NUMBER.test(v.v)
        ? { type: 'number', value: Number(v.v) }
        : { type: 'string', text: v.v, quoted: false };
    } else throw new FilterPatternError('expected a value', v.pos);
    if (value.type !== 'number' && op.v !== '=' && op.v !== '!=')
      throw new FilterPatternError(`operator ${op.v} needs a number`, v.pos);
    return { kind: 'compare', path, op: op.v, value };
  }
}

export function parseFilterPattern(pattern: string): Expr {
  const trimmed = pattern.trim();
  return new Parser(tokenize(trimmed), trimmed.length).parsePattern();
}

const MISSING = Symbol('missing');

function lookup(event: unknown, path: Selector): unknown {
  let cur: unknown = event;
  for (const key of path) {
    if (typeof key === 'number') {
      if (!Array.isArray(cur) || key >= cur.length) return MISSING;
      cur = cur[key];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, key))
        return MISSING;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}

function wildcard(text: string): RegExp {
  const body = text
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function compare(actual: unknown, op: string, lit: Literal): boolean {
  if (actual === MISSING || actual === null || typeof actual === 'object') return false;
  if (lit.type === 'number') {
    const n = typeof actual === 'number' ? actual : typeof actual === 'string' ? Number(actual) : Number.NaN;
    if (Number.isNaN(n)) return op === '!=' && typeof actual === 'string';
    switch (op) {
      case '=':
        return n === lit.value;
      case '!=':
        return n !== lit.value;
      case '<':
        return n < lit.value;
      case '>':
        return n > lit.value;
      case '<=':
        return n <= lit.value;
      default:
        return n >= lit.value;
    }
  }
  // A regex matches anywhere in the value unless anchored with ^ or $.
  const matches =
    lit.type === 'regex' ? lit.regex.test(String(actual)) : wildcard(lit.text).test(String(actual));
  return op === '=' ? matches : !matches;
}

export function evaluate(expr: Expr, event: unknown): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, event) && evaluate(expr.right, event);
    case 'or':
      return evaluate(expr.left, event) || evaluate(expr.right, event);
    case 'notExists':
      return lookup(event, expr.path) === MISSING;
    case 'isNull':
      return lookup(event, expr.path) === null;
    case 'isBool':
      return lookup(event, expr.path) === expr.value;
    case 'compare':
      return compare(lookup(event, expr.path), expr.op, expr.value);
  }
}

/** Parses the pattern and tests one event (an object, or a JSON log line). */
export function matchesFilterPattern(pattern: string, event: unknown): boolean {
  const parsed = typeof event === 'string' ? (JSON.parse(event) as unknown) : event;
  return evaluate(parseFilterPattern(pattern), parsed);
}
