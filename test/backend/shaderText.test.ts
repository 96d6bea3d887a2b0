// Shader text directives (#for / #block / #use): the expansion is exact text, errors name the shader,
// and the matmul kernels written with them expand to the fully unrolled WGSL.
import { describe, expect, it } from 'vitest';
import { expandShaderText } from '../../src/backend/webgpu/shaderText.ts';
import { shaderSource } from '../../src/backend/webgpu/webgpu.ts';

describe('expandShaderText', () => {
  it('repeats #for bodies with $(name) replaced, nested, and reuses #block text with #use', () => {
    const src = [
      'a',
      '// #block B',
      '  // #for i in 0..2',
      '  x$(i)',
      '    // #for j in 1..3',
      '    y$(i)$(j)',
      '    // #end',
      '  // #end',
      '// #endblock',
      'b',
      '// #use B',
    ].join('\n');
    const once = ['  x0', '    y01', '    y02', '  x1', '    y11', '    y12'];
    expect(expandShaderText(src, 't.wgsl').split('\n')).toEqual(['a', ...once, 'b', ...once]);
    expect(expandShaderText('// #for i in 3..3\nz\n// #end\nw', 't')).toBe('w');
  });
  it('refuses unclosed loops, stray ends, unknown names and blocks used before they exist', () => {
    expect(() => expandShaderText('// #for i in 0..2\nx', 's.wgsl')).toThrow('s.wgsl: #for at line 1 is never closed');
    expect(() => expandShaderText('x\n// #end', 's.wgsl')).toThrow('s.wgsl: line 2: // #end without an opening directive');
    expect(() => expandShaderText('x$(k)', 's.wgsl')).toThrow('s.wgsl: $(k) outside a #for over k');
    expect(() => expandShaderText('// #use Q', 's.wgsl')).toThrow('s.wgsl: #use Q before any #block Q');
    expect(() => expandShaderText('// #block Q\n// #endblock\n// #block Q\n// #endblock', 's.wgsl')).toThrow('#block Q is defined twice');
  });
  it("tile_v4_sg expands to 16 rows x 8 broadcast lanes, with tile_v4's setup, tail step and store", () => {
    const sg = shaderSource('matmul_sg');
    expect(sg).not.toMatch(/\$\(|\/\/ #(for|end|block|use)/);
    const lanes = [...sg.matchAll(/subgroupBroadcast\(x(\d+), (\d)u\)/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(lanes).toEqual(Array.from({ length: 8 }, (_, j) => Array.from({ length: 16 }, (_, i) => `${i}:${j}`)).flat());
    // tile_v4's per-k body appears twice in this module: in tile_v4 and as tile_v4_sg's tail
    expect(
      sg.match(/\{ let a = vec4<f32>\(va\[ak \+ ra15\]\); c15_0 = fma\(a, b0, c15_0\); c15_1 = fma\(a, b1, c15_1\); \}/g),
    ).toHaveLength(2);
    expect(sg.match(/if \(m0 \+ 15u < M\) \{ let o = co \+ \(m0 \+ 15u\) \* N4 \+ n0;/g)).toHaveLength(2);
    expect(sg.match(/let ra15 = min\(m0 \+ 15u, M - 1u\) \* ars;/g)).toHaveLength(2);
  });
});
