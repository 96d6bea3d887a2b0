// Splitting text on added/special tokens before any normalisation, so `</s>` or `<|user|>`
// become single ids instead of being cut into ordinary pieces.

export interface AddedToken {
  id: number;
  content: string;
  /** Swallow whitespace on the left / right, as HF added tokens may ask. */
  lstrip?: boolean;
  rstrip?: boolean;
}

/** A run of ordinary text, or one matched added token. */
export type Section = { text: string } | { token: AddedToken };

interface TrieNode {
  next: Map<string, TrieNode>;
  token?: AddedToken;
}

/** Longest-match splitter over a set of added tokens (matched on UTF-16 code units). */
export class SpecialSplitter {
  private readonly root: TrieNode = { next: new Map() };
  private readonly byContent = new Map<string, AddedToken>();

  constructor(tokens: Iterable<AddedToken> = []) {
    for (const t of tokens) this.add(t);
  }

  add(token: AddedToken): void {
    if (token.content.length === 0) throw new Error('empty special token');
    let node = this.root;
    for (const ch of token.content) {
      // iterate code units so matching can walk the text the same way
      for (let i = 0; i < ch.length; i++) {
        const c = ch[i]!;
        let child = node.next.get(c);
        if (!child) {
          child = { next: new Map() };
          node.next.set(c, child);
        }
        node = child;
      }
    }
    node.token = token;
    this.byContent.set(token.content, token);
  }

  get size(): number {
    return this.byContent.size;
  }

  entries(): IterableIterator<AddedToken> {
    return this.byContent.values();
  }

  split(text: string): Section[] {
    if (this.byContent.size === 0) return text.length ? [{ text }] : [];
    const out: Section[] = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      let node: TrieNode | undefined = this.root;
      let match: AddedToken | undefined;
      for (let j = i; j < text.length; j++) {
        node = node.next.get(text[j]!);
        if (!node) break;
        if (node.token) match = node.token;
      }
      if (match) {
        if (i > start) out.push({ text: text.slice(start, i) });
        out.push({ token: match });
        i += match.content.length;
        start = i;
      } else {
        i++;
      }
    }
    if (start < text.length) out.push({ text: text.slice(start) });
    // lstrip/rstrip eat the neighbouring whitespace (as transformers.js does)
    for (let k = 0; k < out.length; k++) {
      const s = out[k]!;
      if (!('token' in s)) continue;
      const before = out[k - 1];
      const after = out[k + 1];
      if (s.token.lstrip && before && 'text' in before) before.text = before.text.trimEnd();
      if (s.token.rstrip && after && 'text' in after) after.text = after.text.trimStart();
    }
    return out.filter((s) => !('text' in s) || s.text.length > 0);
  }
}
