// Typed field readers for JSON inputs (safetensors headers, shard indexes, tokenizer.json): one
// place that checks types and ranges, looks keys up as own properties only (a key such as
// "toString" or "__proto__" is never found on Object.prototype), and names the file and field path
// in every message.

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value of an own property, or undefined (never an inherited one). */
export function own(o: JsonObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Whether `key` is an own property of a plain lookup table (for Record<string, T> constants). */
export function hasOwnKey<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(table, key);
}

/** A short, bounded rendering of a JSON value for messages. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Reads fields of one JSON document; `fail` prefixes the source (file) to every message. */
export class JsonFields {
  constructor(readonly source: string) {}

  fail(msg: string): never {
    throw new Error(`${this.source}: ${msg}`);
  }

  object(v: unknown, where: string): JsonObject {
    if (!isJsonObject(v)) this.fail(`${where} must be an object, got ${show(v)}`);
    return v as JsonObject;
  }

  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) this.fail(`${where} must be an array, got ${show(v)}`);
    return v as unknown[];
  }

  string(v: unknown, where: string): string {
    if (typeof v !== 'string') this.fail(`${where} must be a string, got ${show(v)}`);
    return v as string;
  }

  boolean(v: unknown, where: string): boolean {
    if (typeof v !== 'boolean') this.fail(`${where} must be true or false, got ${show(v)}`);
    return v as boolean;
  }

  /** A safe integer in [min, max]. */
  int(v: unknown, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
      this.fail(`${where} must be an integer in [${min}, ${max}], got ${show(v)}`);
    return v as number;
  }

  /** An own field that must be present. */
  need(o: JsonObject, key: string, where: string): unknown {
    const v = own(o, key);
    if (v === undefined) this.fail(`${where}.${key} is missing`);
    return v;
  }

  /** An own field that may be absent or null (returns undefined then). */
  opt(o: JsonObject, key: string): unknown {
    const v = own(o, key);
    return v === null ? undefined : v;
  }

  optString(o: JsonObject, key: string, where: string): string | undefined {
    const v = this.opt(o, key);
    return v === undefined ? undefined : this.string(v, `${where}.${key}`);
  }

  optBoolean(o: JsonObject, key: string, where: string): boolean | undefined {
    const v = this.opt(o, key);
    return v === undefined ? undefined : this.boolean(v, `${where}.${key}`);
  }

  optObject(o: JsonObject, key: string, where: string): JsonObject | undefined {
    const v = this.opt(o, key);
    return v === undefined ? undefined : this.object(v, `${where}.${key}`);
  }

  optArray(o: JsonObject, key: string, where: string): unknown[] | undefined {
    const v = this.opt(o, key);
    return v === undefined ? undefined : this.array(v, `${where}.${key}`);
  }
}
