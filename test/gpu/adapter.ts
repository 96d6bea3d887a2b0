// What the GPU suite runs on: the adapter's identity, and whether it is a CPU pretending to be
// a GPU (lavapipe/llvmpipe, SwiftShader). `npm run test:gpu` exists to measure and check a real
// GPU, so a CPU adapter is refused unless HEED_ALLOW_CPU_ADAPTER=1 says it is wanted.

/** The fields of GPUAdapterInfo that Dawn reports (subgroup sizes and matrix configs are Dawn's). */
export interface AdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

const CPU_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe/i;

/** Why this adapter is a CPU implementation, or null when nothing says it is. */
export function cpuAdapterReason(info: AdapterInfoLike): string | null {
  if (info.isFallbackAdapter === true) return 'it reports isFallbackAdapter';
  if (info.architecture.toLowerCase() === 'software') return 'its architecture is "software"';
  for (const field of ['vendor', 'architecture', 'device', 'description'] as const) {
    const m = CPU_NAMES.exec(info[field]);
    if (m) return `its ${field} names ${m[0]}`;
  }
  return null;
}

/** Throws unless the adapter is a GPU or `allowCpu` is set; returns the reason a CPU adapter was let through. */
export function checkAdapter(info: AdapterInfoLike, allowCpu: boolean): { cpu: string | null } {
  const cpu = cpuAdapterReason(info);
  if (cpu && !allowCpu) {
    throw new Error(
      `GPU adapter check: refusing adapter "${info.description || info.device}": ${cpu}, so it is a CPU implementation and ` +
        'its numbers are not GPU numbers (on the GPU host: is VK_DRIVER_FILES pointing at the NVIDIA ICD?). ' +
        'Set HEED_ALLOW_CPU_ADAPTER=1 to run the suite on it anyway.',
    );
  }
  return { cpu };
}

/** HEED_ALLOW_CPU_ADAPTER accepts exactly "1" or "0"/unset; anything else is a typo worth stopping for. */
export function allowCpuFromEnv(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`HEED_ALLOW_CPU_ADAPTER must be 1 or 0, got "${value}"`);
}
