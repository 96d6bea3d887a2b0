import { describe, expect, it } from 'vitest';
import { chooseBackend, isSoftwareAdapter } from '../../src/backend/choose.ts';

describe('backend choice', () => {
  it('auto: webgpu on a GPU, the fast CPU backend on a software rasterizer or without an adapter', async () => {
    expect((await chooseBackend('auto', 'nvidia / ampere / NVIDIA A100')).name).toBe('webgpu');
    const lavapipe = await chooseBackend(undefined, 'mesa / software / llvmpipe (LLVM 15.0.6)');
    expect(lavapipe.name).toBe('fast');
    expect(lavapipe.reason).toContain('software rasterizer (mesa / software / llvmpipe');
    expect((await chooseBackend('auto', 'Google / SwiftShader Device')).name).toBe('fast');
    expect((await chooseBackend('auto', null)).reason).toBe('no WebGPU adapter: the SIMD CPU backend');
  });
  it('a named backend is taken as asked, on any adapter', async () => {
    expect(await chooseBackend('webgpu', 'llvmpipe')).toEqual({ name: 'webgpu', reason: 'asked for webgpu' });
    expect((await chooseBackend('cpu', 'nvidia')).name).toBe('cpu');
    expect((await chooseBackend('fast', 'nvidia')).name).toBe('fast');
  });
  it('a real GPU is not taken for a software rasterizer', () => {
    expect(isSoftwareAdapter('AMD Radeon')).toBe(false);
  });
});
