import { describe, expect, it } from 'vitest';
import { allowCpuFromEnv, checkAdapter, cpuAdapterReason } from './adapter.ts';

// As Dawn reports them: lavapipe on this project's machines, and an NVIDIA GPU through Vulkan
// (field values in the shape Dawn gives for NVIDIA; not a recorded H200 reading).
const lavapipe = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  isFallbackAdapter: true,
  subgroupMinSize: 8,
  subgroupMaxSize: 8,
};
const nvidia = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: 'nvidia-h200',
  description: 'NVIDIA H200 580.159.4.0',
  isFallbackAdapter: false,
  subgroupMinSize: 32,
  subgroupMaxSize: 32,
};

describe('GPU adapter check', () => {
  it('recognises lavapipe by its fallback flag first', () => {
    expect(cpuAdapterReason(lavapipe)).toBe('it reports isFallbackAdapter');
  });

  it('recognises CPU adapters by architecture or name when the flag is absent or false', () => {
    expect(cpuAdapterReason({ ...lavapipe, isFallbackAdapter: false })).toBe('its architecture is "software"');
    const named = { ...lavapipe, isFallbackAdapter: false, architecture: '' };
    expect(cpuAdapterReason(named)).toBe('its device names llvmpipe');
    expect(cpuAdapterReason({ vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)' })).toBe(
      'its description names SwiftShader',
    );
  });

  it('lets a GPU through and says nothing against it', () => {
    expect(cpuAdapterReason(nvidia)).toBeNull();
    expect(checkAdapter(nvidia, false)).toEqual({ cpu: null });
  });

  it('refuses a CPU adapter unless allowed, naming the adapter, the reason and the variable', () => {
    expect(() => checkAdapter(lavapipe, false)).toThrow(/llvmpipe: Mesa 25.*isFallbackAdapter.*HEED_ALLOW_CPU_ADAPTER=1/);
    expect(checkAdapter(lavapipe, true)).toEqual({ cpu: 'it reports isFallbackAdapter' });
  });

  it('reads HEED_ALLOW_CPU_ADAPTER strictly', () => {
    expect(allowCpuFromEnv(undefined)).toBe(false);
    expect(allowCpuFromEnv('')).toBe(false);
    expect(allowCpuFromEnv('0')).toBe(false);
    expect(allowCpuFromEnv('1')).toBe(true);
    expect(() => allowCpuFromEnv('yes')).toThrow(/HEED_ALLOW_CPU_ADAPTER must be 1 or 0, got "yes"/);
  });
});
