import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { headDim } from '../../src/nn/config.ts';
import type { HostTensor } from '../../src/io/weights.ts';
import { expectedShapes, layerName, paramCount, permuteQK, toLayout, validateWeights } from '../../src/io/weights.ts';
import { arbConfig, expectSameWeights, randomFloats, randomWeights, tinyConfig } from './fixtures.ts';

// Reference RoPE on one head vector, written independently of src/: interleaved rotates (2i, 2i+1),
// half rotates (i, i + hd/2), both by pos * theta^(-2i/hd).
function rope(x: Float64Array, pos: number, theta: number, layout: 'interleaved' | 'half'): Float64Array {
  const hd = x.length;
  const out = new Float64Array(hd);
  for (let i = 0; i < hd / 2; i++) {
    const a = pos * theta ** (-(2 * i) / hd);
    const [p, q] = layout === 'interleaved' ? [2 * i, 2 * i + 1] : [i, i + hd / 2];
    out[p] = x[p]! * Math.cos(a) - x[q]! * Math.sin(a);
    out[q] = x[p]! * Math.sin(a) + x[q]! * Math.cos(a);
  }
  return out;
}

function matvecHead(w: HostTensor, head: number, hd: number, x: Float32Array): Float64Array {
  const cols = w.shape[1]!;
  const out = new Float64Array(hd);
  for (let r = 0; r < hd; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w.data[(head * hd + r) * cols + c]! * x[c]!;
    out[r] = s;
  }
  return out;
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('permuteQK / toLayout', () => {
  it('maps interleaved row 2i to half row i and 2i+1 to i + hd/2 within each head', () => {
    // 2 heads of hd 4, one column: row r holds the value r.
    const t: HostTensor = { shape: [8, 1], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    expect([...permuteQK(t, 2, 'interleaved', 'half').data]).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    const hd8: HostTensor = { shape: [8, 1], data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };
    expect([...permuteQK(hd8, 1, 'interleaved', 'half').data]).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    expect([...permuteQK(hd8, 1, 'half', 'interleaved').data]).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });

  it('interleaved → half → interleaved is the identity and only q/k change (property)', () => {
    fc.assert(
      fc.property(arbConfig, fc.integer({ min: 1, max: 1000 }), (c0, seed) => {
        const config: LlamaConfig = { ...c0, ropeLayout: 'interleaved' };
        const w = randomWeights(config, seed);
        const half = toLayout(w, config, 'half');
        expect(half.config).toEqual({ ...config, ropeLayout: 'half' });
        for (const [name, t] of w) {
          const isQK = /self_attn\.[qk]_proj/.test(name);
          if (!isQK) expect(half.weights.get(name)).toBe(t);
          else if (headDim(config) > 2) expect(half.weights.get(name)!.data).not.toEqual(t.data);
        }
        const back = toLayout(half.weights, half.config, 'interleaved');
        expect(back.config).toEqual(config);
        expectSameWeights(back.weights, w);
        // Same layout is a no-op.
        expectSameWeights(toLayout(w, config, 'interleaved').weights, w);
      }),
      { numRuns: 60 },
    );
  });

  it('half-layout RoPE on permuted q/k gives the same rotated features and attention scores', () => {
    fc.assert(
      fc.property(arbConfig, fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), (c0, posQ, posK) => {
        const config: LlamaConfig = { ...c0, ropeLayout: 'interleaved' };
        const w = randomWeights(config, posQ + 7);
        const h = toLayout(w, config, 'half').weights;
        const hd = headDim(config);
        const group = config.nHeads / config.nKvHeads;
        const xq = randomFloats(config.dim, posQ + 1);
        const xk = randomFloats(config.dim, posK + 2);
        const wq = layerName(0, 'self_attn.q_proj');
        const wk = layerName(0, 'self_attn.k_proj');
        for (let head = 0; head < config.nHeads; head++) {
          const kvHead = Math.floor(head / group);
          const qi = rope(matvecHead(w.get(wq)!, head, hd, xq), posQ, config.ropeTheta, 'interleaved');
          const ki = rope(matvecHead(w.get(wk)!, kvHead, hd, xk), posK, config.ropeTheta, 'interleaved');
          const qh = rope(matvecHead(h.get(wq)!, head, hd, xq), posQ, config.ropeTheta, 'half');
          const kh = rope(matvecHead(h.get(wk)!, kvHead, hd, xk), posK, config.ropeTheta, 'half');
          // The rotated half-layout vector is the rotated interleaved one, permuted.
          for (let i = 0; i < hd / 2; i++) {
            expect(qh[i]).toBeCloseTo(qi[2 * i]!, 9);
            expect(qh[i + hd / 2]).toBeCloseTo(qi[2 * i + 1]!, 9);
          }
          expect(dot(qh, kh)).toBeCloseTo(dot(qi, ki), 9);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('rejects a shape that is not whole heads', () => {
    expect(() => permuteQK({ shape: [6, 2], data: new Float32Array(12) }, 4, 'interleaved', 'half')).toThrow(/not \[nHeads=4/);
  });
});

describe('validateWeights', () => {
  it('names missing, unexpected and mis-shaped tensors', () => {
    const c = tinyConfig();
    const w = randomWeights(c);
    expect(() => validateWeights(w, c, 'src')).not.toThrow();
    w.delete(layerName(1, 'mlp.up_proj'));
    w.set('extra.weight', { shape: [1], data: new Float32Array(1) });
    w.set('model.norm.weight', { shape: [7], data: new Float32Array(7) });
    expect(() => validateWeights(w, c, 'src')).toThrow(
      /^src: .*missing model\.layers\.1\.mlp\.up_proj\.weight.*model\.norm\.weight has shape \[7\], expected \[8\].*unexpected tensor extra\.weight/,
    );
  });

  it('counts parameters; lm_head only when untied', () => {
    const c = tinyConfig();
    expect(expectedShapes(c).has('lm_head.weight')).toBe(false);
    expect(expectedShapes({ ...c, tiedEmbeddings: false }).get('lm_head.weight')).toEqual([10, 8]);
    // embed 80 + per layer (2*8 + 64 + 32 + 32 + 64 + 3*96) + norm 8
    expect(paramCount(randomWeights(c))).toBe(80 + 2 * (16 + 64 + 32 + 32 + 64 + 288) + 8);
  });
});
