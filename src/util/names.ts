// Lookup tables keyed by names that come from input (commands, presets, subsets, speakers, roles,
// template methods): a plain object literal would also "find" Object.prototype's members
// ("constructor", "toString", "__proto__"), so every such table is made here, without a prototype.

/** `entries` as a frozen table with no prototype: only its own keys are found. */
export function nameTable<T>(entries: { readonly [name: string]: T }): Readonly<Record<string, T>> {
  const t = Object.create(null) as Record<string, T>;
  for (const k of Object.keys(entries)) t[k] = entries[k]!;
  return Object.freeze(t);
}
