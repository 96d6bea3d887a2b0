// A small, safe subset of Jinja: enough to run the chat_template of an HF tokenizer_config.json
// the way transformers' apply_chat_template does (trim_blocks and lstrip_blocks on). Supported:
//   {{ expr }}, {% for x in expr %}…{% else %}…{% endfor %} (loop.index/index0/first/last/length),
//   {% if %}/{% elif %}/{% else %}/{% endif %}, {% set name = expr %}, {# comments #}, "-" trim marks;
//   expressions: string/number/true/false/none literals, lists, names, x.attr, x['key'], x[i],
//   x[a:b], + - * / // % ~, == != < > <= >= in, not in, and or not, `a if c else b`,
//   `is [not] defined/none/string/number/mapping/sequence`, filters trim/length/upper/lower/string,
//   string methods strip/lstrip/rstrip/upper/lower/startswith/endswith/title, raise_exception(msg).
// Anything else (macros, includes, other filters/functions) is refused with an error naming it;
// nothing here can reach JavaScript objects other than the plain data it is given.
// Resource bounds (a template is input, like any file): nesting deeper than JINJA_LIMITS.depth
// (statements, parentheses, operator chains), more than JINJA_LIMITS.steps evaluation steps (loop
// iterations and expressions, all loops together) or a string/list/output longer than
// JINJA_LIMITS.chars (a list: .items) is refused with the template's name, the offset and the construct, before
// the stack or the heap runs out.
import type { ChatTemplate, SpecialText, TemplateRow } from './templates.ts';
import { nameTable } from '../util/names.ts';

type Value = string | number | boolean | null | undefined | Value[] | { [k: string]: Value };

type Expr =
  | { k: 'lit'; v: Value }
  | { k: 'name'; n: string }
  | { k: 'list'; items: Expr[] }
  | { k: 'attr'; o: Expr; n: string }
  | { k: 'index'; o: Expr; i: Expr }
  | { k: 'slice'; o: Expr; a: Expr | null; b: Expr | null }
  | { k: 'call'; f: Expr; args: Expr[] }
  | { k: 'filter'; o: Expr; n: string; args: Expr[] }
  | { k: 'test'; o: Expr; n: string; neg: boolean }
  | { k: 'un'; op: string; a: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr | null };

type Node =
  | { k: 'text'; s: string }
  | { k: 'out'; e: Expr; at: string }
  | { k: 'for'; v: string; it: Expr; body: Node[]; orelse: Node[]; at: string }
  | { k: 'if'; branches: { c: Expr; body: Node[] }[]; orelse: Node[]; at: string }
  | { k: 'set'; n: string; e: Expr; at: string };

export class JinjaError extends Error {}

/** Bounds on one template: real chat templates nest < 10 deep, loop over the messages, and render a
 *  few kB; these are orders of magnitude above that and far below where V8 fails. */
export const JINJA_LIMITS = { depth: 200, steps: 2_000_000, chars: 16 * 1024 * 1024, items: 1024 * 1024 };

// ---- template text → text / output / statement pieces --------------------------------------

type Piece = { k: 'text'; s: string } | { k: 'out' | 'stmt'; src: string; at: number };

function closeOf(src: string, from: number, close: string, where: string): number {
  let q = '';
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = '';
    } else if (c === '"' || c === "'") q = c;
    else if (src.startsWith(close, i)) return i;
  }
  throw new JinjaError(`${where}: unclosed tag at offset ${from - 2} (no "${close}")`);
}

function scan(src: string, where: string): Piece[] {
  const out: Piece[] = [];
  let pos = 0;
  let trimNext = false; // "-" before the last close, or trim_blocks after a block tag
  let trimAll = false;
  while (pos <= src.length) {
    const m = /\{[{%#]/g;
    m.lastIndex = pos;
    const hit = m.exec(src);
    let text = src.slice(pos, hit ? hit.index : src.length);
    if (trimAll) text = text.replace(/^\s+/, '');
    else if (trimNext && text.startsWith('\n')) text = text.slice(1);
    if (!hit) {
      if (text) out.push({ k: 'text', s: text });
      break;
    }
    const kind = hit[0][1]!;
    const inner0 = hit.index + 2;
    const minus = src[inner0] === '-';
    const plus = src[inner0] === '+';
    if (minus) text = text.replace(/\s+$/, '');
    else if (kind !== '{' && !plus) text = text.replace(/(^|\n)[ \t]+$/, '$1'); // lstrip_blocks
    if (text) out.push({ k: 'text', s: text });
    const close = kind === '{' ? '}}' : kind === '%' ? '%}' : '#}';
    const end = kind === '#' ? src.indexOf('#}', inner0) : closeOf(src, inner0, close, where);
    if (end < 0) throw new JinjaError(`${where}: unclosed comment at offset ${hit.index}`);
    let inner = src.slice(minus || plus ? inner0 + 1 : inner0, end);
    trimAll = inner.endsWith('-');
    if (trimAll) inner = inner.slice(0, -1);
    trimNext = kind !== '{'; // trim_blocks: one newline after a block or comment tag
    if (kind === '{') out.push({ k: 'out', src: inner, at: hit.index });
    else if (kind === '%') out.push({ k: 'stmt', src: inner, at: hit.index });
    pos = end + 2;
  }
  return out;
}

// ---- expressions ----------------------------------------------------------------------------

interface Tok {
  t: 'name' | 'str' | 'num' | 'op' | 'end';
  v: string;
}

// Sticky patterns matched at an index (slicing the rest of the source per token is quadratic).
const NAME_RE = /[A-Za-z_]\w*/y;
const NUM_RE = /\d+(\.\d+)?/y;
const OP_RE = /==|!=|<=|>=|\/\/|\*\*|[()[\].,:|~+\-*/%<>=]/y;
function stickyAt(re: RegExp, src: string, i: number): RegExpExecArray | null {
  re.lastIndex = i;
  return re.exec(src);
}

function lex(src: string, where: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const name = stickyAt(NAME_RE, src, i);
    if (name) {
      toks.push({ t: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const num = stickyAt(NUM_RE, src, i);
    if (num) {
      toks.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let s = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === '\\') {
          const e = src[++j];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
        } else s += src[j];
      }
      if (j >= src.length) throw new JinjaError(`${where}: unterminated string in "${src.trim()}"`);
      toks.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const op = stickyAt(OP_RE, src, i);
    if (!op) throw new JinjaError(`${where}: unexpected character ${JSON.stringify(c)} in "${src.trim()}"`);
    toks.push({ t: 'op', v: op[0] });
    i += op[0].length;
  }
  toks.push({ t: 'end', v: '' });
  return toks;
}

class ExprParser {
  private i = 0;
  private depth = 0;
  constructor(
    private toks: Tok[],
    private where: string,
  ) {}
  /** Runs a recursive production one level deeper, refusing nesting beyond JINJA_LIMITS.depth. */
  private nest<T>(construct: string, f: () => T): T {
    if (++this.depth > JINJA_LIMITS.depth) throw new JinjaError(`${this.where}: ${construct} nested more than ${JINJA_LIMITS.depth} deep`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }
  peek(o = 0): Tok {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  next(): Tok {
    return this.toks[this.i++]!;
  }
  is(v: string, t: Tok['t'] = 'op'): boolean {
    const p = this.peek();
    return p.t === t && p.v === v;
  }
  eat(v: string, t: Tok['t'] = 'op'): boolean {
    if (!this.is(v, t)) return false;
    this.i++;
    return true;
  }
  expect(v: string, t: Tok['t'] = 'op'): void {
    if (!this.eat(v, t)) throw new JinjaError(`${this.where}: expected "${v}", found ${JSON.stringify(this.peek().v || 'the end')}`);
  }
  name(): string {
    const t = this.next();
    if (t.t !== 'name') throw new JinjaError(`${this.where}: expected a name, found ${JSON.stringify(t.v || 'the end')}`);
    return t.v;
  }
  done(): void {
    if (this.peek().t !== 'end') throw new JinjaError(`${this.where}: unexpected ${JSON.stringify(this.peek().v)}`);
  }
  expr(): Expr {
    const a = this.or();
    if (!this.eat('if', 'name')) return a;
    const c = this.or();
    return { k: 'cond', c, a, b: this.eat('else', 'name') ? this.nest('inline "if"', () => this.expr()) : null };
  }
  private or(): Expr {
    let a = this.and();
    while (this.eat('or', 'name')) a = { k: 'bin', op: 'or', a, b: this.and() };
    return a;
  }
  private and(): Expr {
    let a = this.not();
    while (this.eat('and', 'name')) a = { k: 'bin', op: 'and', a, b: this.not() };
    return a;
  }
  private not(): Expr {
    return this.eat('not', 'name') ? this.nest('"not"', () => ({ k: 'un', op: 'not', a: this.not() })) : this.cmp();
  }
  private cmp(): Expr {
    let a = this.concat();
    for (;;) {
      const p = this.peek();
      if (p.t === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(p.v)) {
        this.i++;
        a = { k: 'bin', op: p.v, a, b: this.concat() };
      } else if (this.eat('in', 'name')) a = { k: 'bin', op: 'in', a, b: this.concat() };
      else if (this.is('not', 'name') && this.peek(1).t === 'name' && this.peek(1).v === 'in') {
        this.i += 2;
        a = { k: 'un', op: 'not', a: { k: 'bin', op: 'in', a, b: this.concat() } };
      } else if (this.eat('is', 'name')) {
        const neg = this.eat('not', 'name');
        a = { k: 'test', o: a, n: this.name(), neg };
      } else return a;
    }
  }
  private concat(): Expr {
    let a = this.add();
    while (this.eat('~')) a = { k: 'bin', op: '~', a, b: this.add() };
    return a;
  }
  private add(): Expr {
    let a = this.mul();
    while (this.is('+') || this.is('-')) a = { k: 'bin', op: this.next().v, a, b: this.mul() };
    return a;
  }
  private mul(): Expr {
    let a = this.unary();
    while (this.is('*') || this.is('/') || this.is('//') || this.is('%')) a = { k: 'bin', op: this.next().v, a, b: this.unary() };
    return a;
  }
  private unary(): Expr {
    if (this.eat('-')) return this.nest('unary "-"', () => ({ k: 'un', op: '-', a: this.unary() }));
    return this.postfix(this.primary());
  }
  private args(): Expr[] {
    const args: Expr[] = [];
    while (!this.eat(')')) {
      if (this.peek().t === 'name' && this.peek(1).v === '=' && this.peek(1).t === 'op')
        throw new JinjaError(`${this.where}: keyword arguments are not supported`);
      args.push(this.expr());
      if (!this.is(')')) this.expect(',');
    }
    return args;
  }
  private postfix(e: Expr): Expr {
    for (;;) {
      const o = e;
      if (this.eat('.')) e = { k: 'attr', o, n: this.name() };
      else if (this.eat('[')) {
        e = this.nest('subscripts', () => {
          const a = this.is(':') ? null : this.expr();
          let r: Expr;
          if (this.eat(':')) {
            const b = this.is(']') ? null : this.expr();
            if (this.is(':')) throw new JinjaError(`${this.where}: slice steps are not supported`);
            r = { k: 'slice', o, a, b };
          } else r = { k: 'index', o, i: a! };
          this.expect(']');
          return r;
        });
      } else if (this.eat('(')) e = { k: 'call', f: o, args: this.nest('calls', () => this.args()) };
      else if (this.eat('|')) {
        const n = this.name();
        e = { k: 'filter', o, n, args: this.eat('(') ? this.nest('calls', () => this.args()) : [] };
      } else return e;
    }
  }
  private primary(): Expr {
    const t = this.next();
    if (t.t === 'str') {
      let s = t.v;
      while (this.peek().t === 'str') s += this.next().v; // adjacent literals concatenate
      return { k: 'lit', v: s };
    }
    if (t.t === 'num') return { k: 'lit', v: Number(t.v) };
    if (t.t === 'name') {
      if (t.v === 'true' || t.v === 'True') return { k: 'lit', v: true };
      if (t.v === 'false' || t.v === 'False') return { k: 'lit', v: false };
      if (t.v === 'none' || t.v === 'None') return { k: 'lit', v: null };
      return { k: 'name', n: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      return this.nest('parentheses', () => {
        const e = this.expr();
        this.expect(')');
        return e;
      });
    }
    if (t.t === 'op' && t.v === '[') {
      return this.nest('list literals', () => {
        const items: Expr[] = [];
        while (!this.eat(']')) {
          items.push(this.expr());
          if (!this.is(']')) this.expect(',');
        }
        return { k: 'list', items } as Expr;
      });
    }
    throw new JinjaError(`${this.where}: unexpected ${JSON.stringify(t.v || 'end of expression')}`);
  }
}

/** The nesting depth of an expression tree, measured without recursion (operator chains such as
 *  a+b+c+... are parsed in a loop but evaluated recursively, so their length is depth too). */
function exprDepth(root: Expr): number {
  let max = 0;
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    const kids: (Expr | null)[] =
      e.k === 'list'
        ? e.items
        : e.k === 'attr' || e.k === 'test'
          ? [e.o]
          : e.k === 'index'
            ? [e.o, e.i]
            : e.k === 'slice'
              ? [e.o, e.a, e.b]
              : e.k === 'call'
                ? [e.f, ...e.args]
                : e.k === 'filter'
                  ? [e.o, ...e.args]
                  : e.k === 'un'
                    ? [e.a]
                    : e.k === 'bin'
                      ? [e.a, e.b]
                      : e.k === 'cond'
                        ? [e.c, e.a, e.b]
                        : [];
    for (const k of kids) if (k) stack.push([k, d + 1]);
  }
  return max;
}

function parseExpr(src: string, where: string): Expr {
  const p = new ExprParser(lex(src, where), where);
  const e = p.expr();
  p.done();
  if (exprDepth(e) > JINJA_LIMITS.depth)
    throw new JinjaError(`${where}: the expression nests operators more than ${JINJA_LIMITS.depth} deep`);
  return e;
}

// ---- statements → tree ----------------------------------------------------------------------

const UNSUPPORTED = new Set([
  'macro',
  'call',
  'filter',
  'block',
  'extends',
  'include',
  'import',
  'from',
  'with',
  'raw',
  'break',
  'continue',
  'do',
  'autoescape',
  'endmacro',
  'generation',
  'endgeneration',
]);

/** A construct's source, shortened for a message. */
function clip(src: string): string {
  return src.length > 60 ? `${src.slice(0, 57)}...` : src;
}

function parseTemplate(src: string, where: string): Node[] {
  const pieces = scan(src, where);
  let i = 0;
  const at = (p: Piece) => `${where} (offset ${'at' in p ? p.at : '?'})`;
  let depth = 0;
  function block(stops: string[]): { nodes: Node[]; stop: string; rest: string } {
    if (depth > JINJA_LIMITS.depth) {
      const p = pieces[i - 1]!;
      throw new JinjaError(`${at(p)}: "for"/"if" blocks nested more than ${JINJA_LIMITS.depth} deep`);
    }
    depth++;
    try {
      return blockBody(stops);
    } finally {
      depth--;
    }
  }
  function blockBody(stops: string[]): { nodes: Node[]; stop: string; rest: string } {
    const nodes: Node[] = [];
    while (i < pieces.length) {
      const p = pieces[i++]!;
      if (p.k === 'text') nodes.push({ k: 'text', s: p.s });
      else if (p.k === 'out') nodes.push({ k: 'out', e: parseExpr(p.src, at(p)), at: `${at(p)}: {{ ${clip(p.src.trim())} }}` });
      else {
        const s = p.src.trim();
        const kw = /^\w+/.exec(s)?.[0] ?? '';
        const rest = s.slice(kw.length);
        if (stops.includes(kw)) return { nodes, stop: kw, rest };
        if (kw === 'for') {
          const m = /^\s*([A-Za-z_]\w*)\s+in\s+([\s\S]+)$/.exec(rest);
          if (!m) throw new JinjaError(`${at(p)}: unsupported for-loop "${s}" (only "for NAME in EXPR")`);
          if (/\s(if|recursive)\s/.test(` ${m[2]} `)) throw new JinjaError(`${at(p)}: for-loop filters and "recursive" are not supported`);
          const body = block(['endfor', 'else']);
          const orelse = body.stop === 'else' ? block(['endfor']).nodes : [];
          nodes.push({ k: 'for', v: m[1]!, it: parseExpr(m[2]!, at(p)), body: body.nodes, orelse, at: `${at(p)}: {% ${clip(s)} %}` });
        } else if (kw === 'if') {
          const branches: { c: Expr; body: Node[] }[] = [];
          let cond = rest;
          let orelse: Node[] = [];
          for (;;) {
            const b = block(['elif', 'else', 'endif']);
            branches.push({ c: parseExpr(cond, at(p)), body: b.nodes });
            if (b.stop === 'elif') cond = b.rest;
            else {
              if (b.stop === 'else') orelse = block(['endif']).nodes;
              break;
            }
          }
          nodes.push({ k: 'if', branches, orelse, at: `${at(p)}: {% ${clip(s)} %}` });
        } else if (kw === 'set') {
          const m = /^\s*([A-Za-z_]\w*)\s*=([\s\S]+)$/.exec(rest);
          if (!m) throw new JinjaError(`${at(p)}: unsupported set statement "${s}" (only "set NAME = EXPR")`);
          nodes.push({ k: 'set', n: m[1]!, e: parseExpr(m[2]!, at(p)), at: `${at(p)}: {% ${clip(s)} %}` });
        } else if (UNSUPPORTED.has(kw)) throw new JinjaError(`${at(p)}: the Jinja statement "${kw}" is not supported`);
        else throw new JinjaError(`${at(p)}: unexpected statement "${kw || s}"${stops.length ? ` (expected ${stops.join('/')})` : ''}`);
      }
    }
    if (stops.length) throw new JinjaError(`${where}: missing {% ${stops.find((x) => x.startsWith('end'))} %}`);
    return { nodes, stop: '', rest: '' };
  }
  return block([]).nodes;
}

// ---- evaluation -----------------------------------------------------------------------------

/** What one render may spend (JINJA_LIMITS); `at` is the construct being run, for the message. */
class Budget {
  steps = 0;
  chars = 0;
  at = '';
  tick(): void {
    if (++this.steps > JINJA_LIMITS.steps)
      throw new JinjaError(`${this.at}: rendering takes more than ${JINJA_LIMITS.steps} steps (loops nested too deep or too long?)`);
  }
  /** A string or list of `n` characters/items is about to be made. */
  size(n: number, what: 'a string' | 'a list' | 'the output'): void {
    const [max, unit] = what === 'a list' ? [JINJA_LIMITS.items, 'items'] : [JINJA_LIMITS.chars, 'characters'];
    if (n > max) throw new JinjaError(`${this.at}: ${what} would be longer than ${max} ${unit}`);
  }
  output(n: number): void {
    this.chars += n;
    this.size(this.chars, 'the output');
  }
}

class Scope {
  private vars = new Map<string, Value>();
  readonly budget: Budget;
  constructor(private parent?: Scope) {
    this.budget = parent?.budget ?? new Budget();
  }
  get(n: string): Value {
    if (this.vars.has(n)) return this.vars.get(n);
    return this.parent?.get(n);
  }
  set(n: string, v: Value): void {
    this.vars.set(n, v);
  }
}

const truthy = (v: Value): boolean =>
  Array.isArray(v) ? v.length > 0 : v && typeof v === 'object' ? Object.keys(v).length > 0 : Boolean(v);

function str(v: Value): string {
  if (v === undefined) return '';
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new JinjaError(`printing a ${Array.isArray(v) ? 'list' : 'mapping'} is not supported`);
}

function kind(v: Value): string {
  return v === undefined ? 'undefined' : v === null ? 'none' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}

function member(o: Value, key: Value): Value {
  if (Array.isArray(o) || typeof o === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) return undefined;
    const i = key < 0 ? o.length + key : key;
    return i >= 0 && i < o.length ? o[i] : undefined;
  }
  if (o && typeof o === 'object' && typeof key === 'string' && Object.hasOwn(o, key)) return o[key];
  return undefined;
}

const STRING_METHODS = nameTable<(s: string, args: Value[]) => Value>({
  strip: (s, a) => (a.length ? stripChars(s, String(a[0]), true, true) : s.trim()),
  lstrip: (s, a) => (a.length ? stripChars(s, String(a[0]), true, false) : s.trimStart()),
  rstrip: (s, a) => (a.length ? stripChars(s, String(a[0]), false, true) : s.trimEnd()),
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
  startswith: (s, a) => s.startsWith(String(a[0])),
  endswith: (s, a) => s.endsWith(String(a[0])),
});

function stripChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

const FILTERS = nameTable<(v: Value) => Value>({
  trim: (v) => str(v).trim(),
  upper: (v) => str(v).toUpperCase(),
  lower: (v) => str(v).toLowerCase(),
  string: (v) => str(v),
  length: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    throw new JinjaError(`length of ${kind(v)}`);
  },
});

const TESTS = nameTable<(v: Value) => boolean>({
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
  none: (v) => v === null,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  mapping: (v) => !!v && typeof v === 'object' && !Array.isArray(v),
  sequence: (v) => Array.isArray(v) || typeof v === 'string',
  true: (v) => v === true,
  false: (v) => v === false,
});

function arith(op: string, a: Value, b: Value, budget: Budget): Value {
  if (op === '+' && typeof a === 'string' && typeof b === 'string') {
    budget.size(a.length + b.length, 'a string');
    return a + b;
  }
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) {
    budget.size(a.length + b.length, 'a list');
    return [...a, ...b];
  }
  if (typeof a !== 'number' || typeof b !== 'number') throw new JinjaError(`cannot apply "${op}" to ${kind(a)} and ${kind(b)}`);
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '//':
      return Math.floor(a / b);
    default:
      return ((a % b) + b) % b; // Python's modulo
  }
}

function compare(op: string, a: Value, b: Value): boolean {
  if (op === '==') return a === b || (a == null && b == null && a === b);
  if (op === '!=') return a !== b;
  if (!((typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')))
    throw new JinjaError(`cannot compare ${kind(a)} and ${kind(b)} with "${op}"`);
  return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
}

function evalExpr(e: Expr, s: Scope): Value {
  s.budget.tick();
  switch (e.k) {
    case 'lit':
      return e.v;
    case 'name':
      return s.get(e.n);
    case 'list':
      return e.items.map((x) => evalExpr(x, s));
    case 'attr':
      return member(evalExpr(e.o, s), e.n);
    case 'index':
      return member(evalExpr(e.o, s), evalExpr(e.i, s));
    case 'slice': {
      const o = evalExpr(e.o, s);
      if (!Array.isArray(o) && typeof o !== 'string') throw new JinjaError(`cannot slice ${kind(o)}`);
      const a = e.a ? evalExpr(e.a, s) : undefined;
      const b = e.b ? evalExpr(e.b, s) : undefined;
      if ((a !== undefined && typeof a !== 'number') || (b !== undefined && typeof b !== 'number'))
        throw new JinjaError('slice bounds must be numbers');
      return o.slice(a ?? 0, b ?? o.length);
    }
    case 'call': {
      const args = e.args.map((x) => evalExpr(x, s));
      if (e.f.k === 'name' && e.f.n === 'raise_exception') throw new JinjaError(`the chat template raised: ${str(args[0])}`);
      if (e.f.k === 'attr') {
        const o = evalExpr(e.f.o, s);
        const m = STRING_METHODS[e.f.n];
        if (typeof o === 'string' && m) return m(o, args);
        throw new JinjaError(`the method "${e.f.n}" on ${kind(o)} is not supported`);
      }
      throw new JinjaError(`the function "${e.f.k === 'name' ? e.f.n : 'expression'}" is not supported`);
    }
    case 'filter': {
      const f = FILTERS[e.n];
      if (!f || e.args.length) throw new JinjaError(`the filter "${e.n}"${e.args.length ? ' with arguments' : ''} is not supported`);
      return f(evalExpr(e.o, s));
    }
    case 'test': {
      const t = TESTS[e.n];
      if (!t) throw new JinjaError(`the test "is ${e.n}" is not supported`);
      return t(evalExpr(e.o, s)) !== e.neg;
    }
    case 'un': {
      const a = evalExpr(e.a, s);
      if (e.op === 'not') return !truthy(a);
      if (typeof a !== 'number') throw new JinjaError(`cannot negate ${kind(a)}`);
      return -a;
    }
    case 'cond':
      return truthy(evalExpr(e.c, s)) ? evalExpr(e.a, s) : e.b ? evalExpr(e.b, s) : undefined;
    case 'bin': {
      if (e.op === 'and') {
        const a = evalExpr(e.a, s);
        return truthy(a) ? evalExpr(e.b, s) : a;
      }
      if (e.op === 'or') {
        const a = evalExpr(e.a, s);
        return truthy(a) ? a : evalExpr(e.b, s);
      }
      const a = evalExpr(e.a, s);
      const b = evalExpr(e.b, s);
      if (e.op === '~') {
        const x = str(a);
        const y = str(b);
        s.budget.size(x.length + y.length, 'a string');
        return x + y;
      }
      if (e.op === 'in') {
        if (typeof b === 'string') return typeof a === 'string' && b.includes(a);
        if (Array.isArray(b)) return b.some((x) => x === a);
        if (b && typeof b === 'object') return typeof a === 'string' && Object.hasOwn(b, a);
        throw new JinjaError(`"in" on ${kind(b)}`);
      }
      if (['==', '!=', '<', '>', '<=', '>='].includes(e.op)) return compare(e.op, a, b);
      return arith(e.op, a, b, s.budget);
    }
  }
}

function run(nodes: Node[], s: Scope, out: string[]): void {
  const budget = s.budget;
  const emit = (t: string) => {
    budget.output(t.length);
    out.push(t);
  };
  for (const n of nodes) {
    budget.tick();
    if (n.k === 'text') {
      emit(n.s);
      continue;
    }
    budget.at = n.at;
    if (n.k === 'out') emit(str(evalExpr(n.e, s)));
    else if (n.k === 'set') s.set(n.n, evalExpr(n.e, s));
    else if (n.k === 'if') {
      const b = n.branches.find((x) => truthy(evalExpr(x.c, s)));
      run(b ? b.body : n.orelse, s, out);
    } else {
      const it = evalExpr(n.it, s);
      if (typeof it === 'string') budget.size(it.length, 'a list'); // looping over a string makes a list of its characters
      const items: Value[] = Array.isArray(it)
        ? it
        : typeof it === 'string'
          ? [...it]
          : it && typeof it === 'object'
            ? Object.keys(it)
            : [];
      if (it !== undefined && !Array.isArray(it) && typeof it !== 'string' && !(it && typeof it === 'object'))
        throw new JinjaError(`cannot loop over ${kind(it)}`);
      if (items.length === 0) run(n.orelse, new Scope(s), out);
      items.forEach((x, i) => {
        budget.at = n.at;
        budget.tick();
        const inner = new Scope(s);
        inner.set(n.v, x);
        inner.set('loop', {
          index: i + 1,
          index0: i,
          first: i === 0,
          last: i === items.length - 1,
          length: items.length,
          revindex: items.length - i,
          revindex0: items.length - i - 1,
        });
        run(n.body, inner, out);
      });
    }
  }
}

/** Compiles a template; the result renders plain data (strings, numbers, lists, objects). */
export function compileJinja(src: string, where = 'template'): (vars: Record<string, Value>) => string {
  const nodes = parseTemplate(src, where);
  return (vars) => {
    const s = new Scope();
    for (const [k, v] of Object.entries(vars)) s.set(k, v);
    const out: string[] = [];
    try {
      run(nodes, new Scope(s), out);
    } catch (e) {
      if (e instanceof JinjaError && !e.message.startsWith(where)) throw new JinjaError(`${where}: ${e.message}`);
      throw e;
    }
    return out.join('');
  };
}

/** A chat template from Jinja source; bos/eos default to the tokenizer's text. */
export function jinjaTemplate(src: string, name: string, tokens: Partial<SpecialText> = {}): ChatTemplate {
  const render = compileJinja(src, name);
  return {
    name,
    render(row: TemplateRow, gen: boolean, special: SpecialText) {
      return render({
        messages: row.messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: gen,
        bos_token: tokens.bos ?? special.bos,
        eos_token: tokens.eos ?? special.eos,
      });
    },
  };
}
