// The BPE merge loop shared by both tokenizer kinds: repeatedly merge the adjacent pair with the
// best (lowest) priority, leftmost first on ties. This is llama2.c's "highest score first" scan and
// HF's "lowest merge rank first", done with a heap so long inputs stay O(n log n).

/** Pair (left id, right id) -> packed (priority * ID_SPAN + merged id). Lower priority merges first. */
export type MergeTable = Map<number, number>;

const PAIR_SPAN = 2 ** 22; // ids must stay below this
export const ID_SPAN = 2 ** 22;
const POS_SPAN = 2 ** 26; // heap key = priority * POS_SPAN + position

export function pairKey(a: number, b: number): number {
  return a * PAIR_SPAN + b;
}

export function packMerge(priority: number, mergedId: number): number {
  return priority * ID_SPAN + mergedId;
}

/** Min-heap of float64 keys. */
class KeyHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(k: number): void {
    const a = this.a;
    let i = a.length;
    a.push(k);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= k) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = k;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Merge `ids` in place order according to `table`; returns the merged id sequence. */
export function mergeSymbols(ids: ArrayLike<number>, table: MergeTable): number[] {
  const n = ids.length;
  if (n < 2) return Array.from(ids);
  if (n >= POS_SPAN) throw new Error(`BPE section too long (${n} symbols)`);
  const sym = Int32Array.from(ids);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new KeyHeap();
  const consider = (i: number): void => {
    const j = next[i]!;
    if (j < 0) return;
    const m = table.get(pairKey(sym[i]!, sym[j]!));
    if (m !== undefined) heap.push(Math.floor(m / ID_SPAN) * POS_SPAN + i);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (heap.size > 0) {
    const key = heap.pop();
    const i = key % POS_SPAN;
    const prio = (key - i) / POS_SPAN;
    if (sym[i]! < 0) continue; // node absorbed by an earlier merge
    const j = next[i]!;
    if (j < 0) continue;
    const m = table.get(pairKey(sym[i]!, sym[j]!));
    // stale entry: the pair at i changed since it was pushed
    if (m === undefined || Math.floor(m / ID_SPAN) !== prio) continue;
    sym[i] = m % ID_SPAN;
    sym[j] = -1;
    const k = next[j]!;
    next[i] = k;
    if (k >= 0) prev[k] = i;
    if (prev[i]! >= 0) consider(prev[i]!);
    consider(i);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
  return out;
}
