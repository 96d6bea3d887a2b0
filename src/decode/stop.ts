// Stop strings matched on decoded text, across token boundaries. Streaming emits only text that
// can no longer become part of a stop string: a suffix that is a prefix of some stop string is
// held back until the next token settles it.
export class StopMatcher {
  private held = '';
  constructor(private readonly stops: readonly string[]) {
    if (stops.some((s) => s.length === 0)) throw new Error('stop strings must not be empty');
  }

  /** Feeds new text; returns what is now safe to emit and whether a stop string completed
   *  (then the text before it is emitted and the rest is dropped). */
  push(text: string): { text: string; stopped: boolean } {
    const buf = this.held + text;
    // The stop that completes first as the text arrives (earliest end; at equal ends the one that
    // starts earlier), so the cut does not depend on how the text was split into tokens.
    let cut = -1;
    let cutEnd = Infinity;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i < 0) continue;
      const end = i + s.length;
      if (end < cutEnd || (end === cutEnd && i < cut)) {
        cut = i;
        cutEnd = end;
      }
    }
    if (cut >= 0) {
      this.held = '';
      return { text: buf.slice(0, cut), stopped: true };
    }
    let keep = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, buf.length); n > keep; n--) {
        if (buf.endsWith(s.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    this.held = buf.slice(buf.length - keep);
    return { text: buf.slice(0, buf.length - keep), stopped: false };
  }

  /** At the end of generation: the held text is no longer a possible stop. */
  flush(): string {
    const t = this.held;
    this.held = '';
    return t;
  }
}
