// A plain f64 Llama forward pass on host arrays, written from the model's definition and nothing
// else in heed: a third opinion for telling which side of a heed/llama.cpp disagreement is wrong.
// Weights use heed's canonical (HF) names, [out, in] row-major, q/k in `config.ropeLayout`.
import type { NamedTensors } from '../../src/io/weights.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';

function get(w: NamedTensors, name: string): Float32Array {
  const t = w.get(name);
  if (!t) throw new Error(`reference forward: missing ${name}`);
  return t.data;
}

/** y[o] = sum_i W[o, i] x[i] for W [out, in]. */
function matvec(W: Float32Array, x: Float64Array, out: number): Float64Array {
  const n = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += W[o * n + i]! * x[i]!;
    y[o] = s;
  }
  return y;
}

function rmsnorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * r * w[i]!);
}

/** Rotates each head of `x` ([heads * hd]) in place for position `pos`. */
function rope(x: Float64Array, heads: number, hd: number, pos: number, c: LlamaConfig): void {
  const half = hd / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = pos * Math.pow(c.ropeTheta, (-2 * i) / hd);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      const [a, b] = c.ropeLayout === 'interleaved' ? [h * hd + 2 * i, h * hd + 2 * i + 1] : [h * hd + i, h * hd + i + half];
      const xa = x[a]!;
      const xb = x[b]!;
      x[a] = xa * cos - xb * sin;
      x[b] = xa * sin + xb * cos;
    }
  }
}

/** Next-token logits [T * V] for one sequence starting at position 0. */
export function referenceLogits(c: LlamaConfig, w: NamedTensors, ids: readonly number[]): Float64Array {
  const { dim, nHeads, nKvHeads, hiddenDim, vocabSize: V } = c;
  const hd = dim / nHeads;
  const group = nHeads / nKvHeads;
  const T = ids.length;
  const embed = get(w, 'model.embed_tokens.weight');
  const xs = ids.map((id) => Float64Array.from(embed.subarray(id * dim, (id + 1) * dim)));
  for (let l = 0; l < c.nLayers; l++) {
    const p = (part: string) => get(w, `model.layers.${l}.${part}.weight`);
    const hs = xs.map((x) => rmsnorm(x, p('input_layernorm'), c.normEps));
    const qs = hs.map((h, t) => {
      const q = matvec(p('self_attn.q_proj'), h, nHeads * hd);
      rope(q, nHeads, hd, t, c);
      return q;
    });
    const ks = hs.map((h, t) => {
      const k = matvec(p('self_attn.k_proj'), h, nKvHeads * hd);
      rope(k, nKvHeads, hd, t, c);
      return k;
    });
    const vs = hs.map((h) => matvec(p('self_attn.v_proj'), h, nKvHeads * hd));
    for (let t = 0; t < T; t++) {
      const o = new Float64Array(nHeads * hd);
      for (let h = 0; h < nHeads; h++) {
        const kv = Math.floor(h / group);
        const scores = new Float64Array(t + 1);
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += qs[t]![h * hd + d]! * ks[j]![kv * hd + d]!;
          scores[j] = s / Math.sqrt(hd);
          max = Math.max(max, scores[j]!);
        }
        let z = 0;
        for (let j = 0; j <= t; j++) z += scores[j] = Math.exp(scores[j]! - max);
        for (let j = 0; j <= t; j++) for (let d = 0; d < hd; d++) o[h * hd + d]! += (scores[j]! / z) * vs[j]![kv * hd + d]!;
      }
      const a = matvec(p('self_attn.o_proj'), o, dim);
      for (let i = 0; i < dim; i++) xs[t]![i]! += a[i]!;
    }
    for (let t = 0; t < T; t++) {
      const h = rmsnorm(xs[t]!, p('post_attention_layernorm'), c.normEps);
      const g = matvec(p('mlp.gate_proj'), h, hiddenDim);
      const u = matvec(p('mlp.up_proj'), h, hiddenDim);
      const m = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
      const d = matvec(p('mlp.down_proj'), m, dim);
      for (let i = 0; i < dim; i++) xs[t]![i]! += d[i]!;
    }
  }
  const head = c.tiedEmbeddings ? embed : get(w, 'lm_head.weight');
  const out = new Float64Array(T * V);
  xs.forEach((x, t) => out.set(matvec(head, rmsnorm(x, get(w, 'model.norm.weight'), c.normEps), V), t * V));
  return out;
}
