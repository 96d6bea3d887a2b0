import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBF16, decodeF16, encodeBF16, encodeF16, f16ToF32, f32ToF16, roundBF16 } from '../../src/io/halfFloat.ts';

describe('f16', () => {
  it('every non-NaN half survives f16 → f32 → f16', () => {
    for (let h = 0; h < 65536; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) expect(Number.isNaN(f16ToF32(f32ToF16(x)))).toBe(true);
      else expect(f32ToF16(x)).toBe(h);
    }
  });

  it('rounds to the nearest half, ties to even, overflowing to infinity', () => {
    expect(f16ToF32(f32ToF16(1 + 2 ** -11))).toBe(1); // tie, 1 is even
    expect(f16ToF32(f32ToF16(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie, rounds up to even
    expect(f16ToF32(f32ToF16(65504))).toBe(65504);
    expect(f16ToF32(f32ToF16(65520))).toBe(Infinity);
    expect(f16ToF32(f32ToF16(2 ** -25))).toBe(0); // tie with 0
    expect(f16ToF32(f32ToF16(1.5 * 2 ** -25))).toBe(2 ** -24);
    expect(Object.is(f16ToF32(f32ToF16(-0)), -0)).toBe(true);
  });

  it('is the nearest representable half for random floats (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: -60000, max: 60000, noNaN: true }), (x) => {
        const y = f16ToF32(f32ToF16(x));
        // No half lies strictly closer: check the two neighbours of the result.
        const h = f32ToF16(y);
        for (const nb of [h - 1, h + 1]) {
          const z = f16ToF32(nb & 0xffff);
          if (Number.isFinite(z) && (Math.sign(z) === Math.sign(y) || y === 0))
            expect(Math.abs(z - x)).toBeGreaterThanOrEqual(Math.abs(y - x));
        }
      }),
    );
  });

  it('array helpers agree with the scalar ones', () => {
    const xs = Float32Array.from([0, 1, -2.5, 1e-7, 70000, NaN]);
    const dec = decodeF16(encodeF16(xs));
    expect([...dec.subarray(0, 5)]).toEqual([0, 1, -2.5, f16ToF32(f32ToF16(1e-7)), Infinity]);
    expect(Number.isNaN(dec[5])).toBe(true);
  });
});

describe('bf16', () => {
  it('keeps the top 16 bits, rounding ties to even', () => {
    expect(roundBF16(1 + 2 ** -8)).toBe(1); // tie → even
    expect(roundBF16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(roundBF16(1 + 2 ** -8 + 2 ** -20)).toBe(1 + 2 ** -7);
    expect(roundBF16(Infinity)).toBe(Infinity);
    expect(Number.isNaN(roundBF16(NaN))).toBe(true);
    expect([...decodeBF16(encodeBF16(Float32Array.from([3.140625, -0])))]).toEqual([3.140625, -0]);
  });

  it('relative error is at most 2^-8, the unit roundoff of 8 significant bits (property)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }), (x) => {
        const y = roundBF16(x);
        expect(Math.abs(y - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8 + 1e-40);
      }),
    );
  });
});
