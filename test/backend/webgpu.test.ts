// The WebGPU backend's failure modes: a bad pipeline becomes a JS error naming the kernel, a
// lost device refuses further work, and the size classes bound the pool's waste.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/backend/backend.ts';
import { acquireDevice } from '../../src/backend/webgpu/device.ts';
import { WebGPUBackend, shaderSource, sizeClass, smokeK } from '../../src/backend/webgpu/webgpu.ts';
import { projectRoot } from '../../src/util/dataRoot.ts';
import { gpu } from '../helpers/backends.ts';

describe('webgpu backend', () => {
  it('a pipeline that fails validation surfaces as an error naming the kernel', async () => {
    const b = (await gpu()) as WebGPUBackend;
    const bad: Kernel<{ n: number }> = {
      name: 'deliberately_bad',
      cpu: () => {},
      gpu: () => ({ shader: 'elementwise', entry: 'no_such_entry_point', uniforms: [1], workgroups: [1] }),
    };
    const s = b.alloc('f32', 4);
    b.run(bad, [], [s], { n: 4 });
    await expect(b.download(s)).rejects.toThrow(/deliberately_bad/);
    b.free(s);
    // the backend keeps working afterwards
    const t = b.alloc('f32', 2);
    b.upload(t, Float32Array.from([1, 2]));
    expect([...(await b.download(t))]).toEqual([1, 2]);
    b.free(t);
  });

  it('the smoke kernel the backend owns gives y[i] = value + i on both halves (130 values: three workgroups)', async () => {
    const b = (await gpu()) as WebGPUBackend;
    const n = 130;
    const s = b.alloc('f32', n);
    b.run(smokeK, [], [s], { n, value: -1.5 });
    const got = await b.download(s);
    b.free(s);
    const ref = new Float32Array(n);
    smokeK.cpu([], [ref], { n, value: -1.5 });
    expect(ref[0]).toBe(-1.5);
    expect(ref[129]).toBe(127.5);
    expect([...got]).toEqual([...ref]);
  });

  it('after the device is lost, every call says so', async () => {
    const b = new WebGPUBackend(await acquireDevice());
    b.gpu.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await b.sync().catch(() => {}); // let the lost promise settle
    expect(() => b.alloc('f32', 4)).toThrow(/device was lost/);
  });

  it('size classes: powers of two up to 1 MiB, then eighths (waste ≤ 12.5%)', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(257)).toBe(512);
    expect(sizeClass(1 << 20)).toBe(1 << 20);
    for (const n of [(1 << 20) + 1, 3_000_001, 50_000_000]) {
      expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
      expect(sizeClass(n) / n).toBeLessThanOrEqual(1.125);
    }
  });

  it('shader includes: attention_sg.wgsl reuses attention.wgsl; only the variant needs subgroups', () => {
    const sg = shaderSource('attention_sg');
    expect(sg).toContain('struct AttnP');
    expect(sg).toContain('fn attn_fwd_sg');
    expect(sg).not.toMatch(/^\/\/ #include/m);
    expect(
      sg
        .trimStart()
        .split('\n')
        .find((l) => !l.startsWith('//')),
    ).toBe('enable subgroups;');
    // the base module must compile on adapters without subgroups
    expect(shaderSource('attention')).not.toContain('enable subgroups');
    expect(() => shaderSource('no_such_shader')).toThrow(/shader file not found: .*no_such_shader\.wgsl/);
  });

  it('includes: a file shared by two includes is inserted once; cycles and missing files are errors', () => {
    const dir = join(import.meta.dirname, 'fixtures', 'shaders');
    const top = shaderSource('top', dir);
    expect(top.match(/fn leaf\(\)/g)).toHaveLength(1);
    expect(top.indexOf('fn leaf()')).toBeLessThan(top.indexOf('fn left()'));
    expect(top.indexOf('fn left()')).toBeLessThan(top.indexOf('fn right()'));
    expect(top).toContain('// (leaf.wgsl: already included)');
    expect(() => shaderSource('cyc_a', dir)).toThrow('include cycle cyc_a.wgsl -> cyc_b.wgsl -> cyc_a.wgsl');
    expect(() => shaderSource('dangling', dir)).toThrow(/missing\.wgsl \(included from dangling\.wgsl\)/);
  });

  it('every shader in shaders/ compiles on the adapter with its includes (common.wgsl once)', async () => {
    const b = (await gpu()) as WebGPUBackend;
    const names = readdirSync(join(projectRoot, 'shaders'))
      .filter((f) => f.endsWith('.wgsl'))
      .map((f) => f.slice(0, -5));
    expect(names).toContain('common');
    for (const name of names) {
      if (name === 'attention_sg' && !b.caps.subgroups) continue;
      const code = shaderSource(name);
      expect(code.match(/fn grid_id\(/g)?.length ?? 0, name).toBeLessThanOrEqual(1);
      const info = await b.gpu.createShaderModule({ code, label: name }).getCompilationInfo();
      expect(info.messages.filter((m) => m.type === 'error').map((m) => `${name}:${m.lineNum}: ${m.message}`)).toEqual([]);
    }
  });
});
