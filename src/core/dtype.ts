// Element types. f32 is the working type on every backend; f64 exists on the CPU backend so
// finite-difference gradient checks can be exact; i32 holds token ids and targets.
export type DType = 'f32' | 'f64' | 'i32';
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type FloatArray = Float32Array | Float64Array;

export const BYTES: Record<DType, number> = { f32: 4, f64: 8, i32: 4 };

export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(n);
    case 'f64':
      return new Float64Array(n);
    case 'i32':
      return new Int32Array(n);
  }
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  return 'i32';
}

export function isFloat(d: DType): boolean {
  return d === 'f32' || d === 'f64';
}
