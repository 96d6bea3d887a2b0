// One small shape check for the JSON the upper layers read (model outputs, annotations, summaries,
// training logs, IFEval responses, rule weights): a value is checked against a schema before any
// field is used, and refused naming the source (file, file:line) and the field path, so a `null`
// row or a string where a number belongs never surfaces as "Cannot read properties of null".
// Keys are looked up as own properties only ("__proto__", "constructor" are never inherited).
import { show } from './jsonFields.ts';

export type Schema =
  | 'string'
  | 'boolean'
  /** any finite number */
  | 'number'
  /** a finite number or null (JSON's form of NaN, as the evaluators write it) */
  | 'number?'
  /** a safe integer >= 0 */
  | 'count'
  | 'any'
  | { literal: readonly (string | number | boolean | null)[] }
  | { array: Schema; minLength?: number }
  /** named fields (`optional` ones may be absent or null); other keys are allowed unless `closed` */
  | { object: { readonly [k: string]: Schema }; optional?: readonly string[]; closed?: boolean }
  /** an object used as a map from any key */
  | { map: Schema }
  | { oneOf: readonly Schema[]; name: string };

function describe(s: Schema): string {
  if (typeof s === 'string') {
    return {
      string: 'a string',
      boolean: 'true or false',
      number: 'a finite number',
      'number?': 'a number or null',
      count: 'a whole number >= 0',
      any: 'anything',
    }[s];
  }
  if ('literal' in s) return `one of ${s.literal.map((v) => JSON.stringify(v)).join(', ')}`;
  if ('array' in s) return 'a list';
  if ('object' in s || 'map' in s) return 'an object';
  return s.name;
}

function fits(v: unknown, s: Schema): boolean {
  try {
    check(v, s, '', '');
    return true;
  } catch {
    return false;
  }
}

function check(v: unknown, s: Schema, source: string, at: string): void {
  const fail = (why = `must be ${describe(s)}, got ${show(v)}`): never => {
    throw new Error(`${source}: ${at || 'the value'} ${why}`);
  };
  if (typeof s === 'string') {
    switch (s) {
      case 'any':
        return;
      case 'string':
        if (typeof v !== 'string') fail();
        return;
      case 'boolean':
        if (typeof v !== 'boolean') fail();
        return;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) fail();
        return;
      case 'number?':
        if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) fail();
        return;
      case 'count':
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail();
        return;
    }
  }
  if ('literal' in s) {
    if (!s.literal.some((x) => x === v)) fail();
    return;
  }
  if ('oneOf' in s) {
    if (!s.oneOf.some((x) => fits(v, x))) fail();
    return;
  }
  if ('array' in s) {
    if (!Array.isArray(v)) fail();
    const a = v as unknown[];
    if (s.minLength !== undefined && a.length < s.minLength)
      fail(`must hold at least ${s.minLength} item${s.minLength === 1 ? '' : 's'}, got ${a.length}`);
    a.forEach((x, i) => check(x, s.array, source, `${at}[${i}]`));
    return;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail();
  const o = v as Record<string, unknown>;
  if ('map' in s) {
    for (const k of Object.keys(o)) check(o[k], s.map, source, `${at}[${JSON.stringify(k)}]`);
    return;
  }
  const optional = new Set(s.optional ?? []);
  for (const [k, fs] of Object.entries(s.object)) {
    const has = Object.hasOwn(o, k);
    const x = has ? o[k] : undefined;
    if (!has || x === undefined) {
      if (!optional.has(k)) throw new Error(`${source}: ${at ? `${at}.` : ''}${k} is missing`);
      continue;
    }
    if (x === null && optional.has(k)) continue;
    check(x, fs, source, `${at}.${k}`.replace(/^\./, ''));
  }
  if (s.closed)
    for (const k of Object.keys(o))
      if (!Object.hasOwn(s.object, k)) fail(`has an unknown field ${JSON.stringify(k)} (known: ${Object.keys(s.object).join(', ')})`);
}

/**
 * `v` as T after checking it against `schema`; else an Error "<source>: <field> must be ..., got ...".
 * `source` names where the value came from (a file, or file:line for a JSONL row).
 */
export function checkShape<T>(v: unknown, schema: Schema, source: string, field = ''): T {
  check(v, schema, source, field);
  return v as T;
}
