// A hand-made vocabulary for exact rule tests: greedy longest-match over surface pieces (' ' for a
// space, as heed's SentencePiece pieces are spelled), so every id in a test can be read off below.
import { NO_PREV, type Tokenizer } from '../../src/tokenizer/tokenizer.ts';

export const HAND_PIECES = [
  '<unk>',
  '<s>',
  '</s>',
  '\n',
  '<',
  '|',
  'user',
  'assistant',
  '>',
  ' I', // 0-9
  'I',
  ' We',
  'What',
  ' should',
  ' *',
  ' -',
  '   ',
  ' #',
  ' ##',
  '!', // 10-19
  ' <',
  ' hello',
  ' world',
  ' a',
  ' b',
  'hello',
  ' ', // 20-26
] as const;

export function handTokenizer(pieces: readonly string[] = HAND_PIECES): Tokenizer {
  const ids = new Map(pieces.map((p, i) => [p, i] as const));
  const specials = new Map([
    ['<s>', 1],
    ['</s>', 2],
  ] as const);
  return {
    vocabSize: pieces.length,
    bos: 1,
    eos: 2,
    encode(text, opts = {}) {
      const out: number[] = opts.bos ? [1] : [];
      let i = 0;
      while (i < text.length) {
        let best = '';
        for (const p of pieces) if (p.length > best.length && !specials.has(p as '<s>') && text.startsWith(p, i)) best = p;
        if (!best) throw new Error(`hand vocabulary cannot spell ${JSON.stringify(text.slice(i))}`);
        out.push(ids.get(best)!);
        i += best.length;
      }
      if (opts.eos) out.push(2);
      return out;
    },
    decode: (list) => list.map((id) => pieces[id]!).join(''),
    decodeToken: (_prev, id) => new TextEncoder().encode(id <= 2 ? '' : pieces[id]!),
    idToPiece: (id) => pieces[id]!,
    pieceToId: (p) => ids.get(p),
    specialTokens: () => specials,
  };
}
export { NO_PREV };
