import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopMatcher } from '../../src/decode/stop.ts';

describe('stop strings', () => {
  it('hold back a possible stop across token boundaries, and cut at a completed one', () => {
    const m = new StopMatcher(['\n\nUser', 'END']);
    expect(m.push('Hello')).toEqual({ text: 'Hello', stopped: false });
    expect(m.push(' wor')).toEqual({ text: ' wor', stopped: false });
    expect(m.push('ld\n')).toEqual({ text: 'ld', stopped: false });
    expect(m.push('\nUs')).toEqual({ text: '', stopped: false });
    expect(m.push('er: x')).toEqual({ text: '', stopped: true });
    const n = new StopMatcher(['END']);
    expect(n.push('the E')).toEqual({ text: 'the ', stopped: false });
    expect(n.push('Nd')).toEqual({ text: 'ENd', stopped: false });
    expect(n.push('xEN')).toEqual({ text: 'x', stopped: false });
    expect(n.flush()).toBe('EN');
    // "é" completes before "\néb" does, in one chunk as in two (the case fast-check found)
    expect(new StopMatcher(['é', '\néb']).push('\néb')).toEqual({ text: '\n', stopped: true });
    const o = new StopMatcher(['é', '\néb']);
    expect(o.push('\n')).toEqual({ text: '', stopped: false });
    expect(o.push('éb')).toEqual({ text: '\n', stopped: true });
  });

  it('property: streamed text is the input up to the first stop (all of it without one), whatever the chunking', () => {
    const alphabet = fc.constantFrom('a', 'b', '\n', 'é', '🙂');
    const str = fc.array(alphabet, { maxLength: 30 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        str,
        fc.array(
          str.filter((s) => s.length > 0),
          { minLength: 1, maxLength: 3 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        (text, stops, cuts) => {
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let at = 0;
          for (const p of [...points, text.length]) {
            chunks.push(text.slice(at, p));
            at = p;
          }
          const m = new StopMatcher(stops);
          let out = '';
          let stopped = false;
          for (const c of chunks) {
            const r = m.push(c);
            out += r.text;
            for (const s of stops) expect(out.includes(s)).toBe(false);
            if (r.stopped) {
              stopped = true;
              break;
            }
          }
          if (!stopped) out += m.flush();
          // The stop that completes first as characters arrive one by one (earliest end; at equal
          // ends the earlier start) cuts the text at its start.
          const found = stops.map((s) => ({ i: text.indexOf(s), end: text.indexOf(s) + s.length })).filter((f) => f.i >= 0);
          found.sort((a, b) => a.end - b.end || a.i - b.i);
          expect(out).toBe(found.length ? text.slice(0, found[0]!.i) : text);
          expect(stopped).toBe(found.length > 0);
        },
      ),
      { numRuns: 500 },
    );
  });
});
