// tfjs-wasm as a matmul peer (bench-only devDependencies @tensorflow/tfjs-core and
// @tensorflow/tfjs-backend-wasm, never imported by src/). Loaded on demand so `heed bench`
// without --peers needs neither package. In Node it runs on one thread with SIMD (XNNPACK).
export interface PeerMatmul {
  /** One product C = A·op(B) on fresh-looking inputs held by the peer; returns when done. */
  run(): void;
  dispose(): void;
}

export interface Peer {
  name: string;
  /** Threads and SIMD as the peer reports them. */
  detail: string;
  /** C = A·B for row-major A [M, K] and B [K, N]: the layout of tfjs's own dense layer (kernel
   *  [in, out]). Its transposeB path measured 10-20x slower here, so the peer is not given it. */
  matmul(M: number, K: number, N: number, a: Float32Array, b: Float32Array): PeerMatmul;
  /** C for the given inputs (correctness check against heed). */
  product(M: number, K: number, N: number, a: Float32Array, b: Float32Array): Float32Array;
}

export async function tfjsWasm(): Promise<Peer> {
  let tf: typeof import('@tensorflow/tfjs-core');
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    tf = await import('@tensorflow/tfjs-core');
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new Error(
      `bench --peers: tfjs-wasm is not installed (npm install -D @tensorflow/tfjs-core @tensorflow/tfjs-backend-wasm): ${(e as Error).message}`,
    );
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('bench --peers: tfjs could not start its wasm backend');
  await tf.ready();
  const version = (tf as unknown as { version_core: string }).version_core;
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean;
  const detail = `tfjs-core ${version}, wasm, ${wasm.getThreadsCount()} thread(s), SIMD ${simd ? 'on' : 'off'}`;
  const tensors = (M: number, K: number, N: number, a: Float32Array, b: Float32Array) => {
    if (a.length !== M * K || b.length !== K * N)
      throw new Error(`peer matmul: inputs of ${a.length} and ${b.length} values for [${M}×${K}]·[${K}×${N}]`);
    return [tf.tensor2d(a, [M, K]), tf.tensor2d(b, [K, N])] as const;
  };
  return {
    name: 'tfjs-wasm',
    detail,
    matmul(M, K, N, a, b) {
      const [ta, tb] = tensors(M, K, N, a, b);
      return {
        // the wasm backend computes synchronously inside matMul; nothing is deferred
        run: () => tf.matMul(ta, tb).dispose(),
        dispose: () => {
          ta.dispose();
          tb.dispose();
        },
      };
    },
    product(M, K, N, a, b) {
      const [ta, tb] = tensors(M, K, N, a, b);
      const c = tf.matMul(ta, tb);
      const out = c.dataSync() as Float32Array;
      for (const t of [ta, tb, c]) t.dispose();
      return Float32Array.from(out);
    },
  };
}
