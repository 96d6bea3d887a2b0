// Acquiring a real WebGPU device through Dawn (npm `webgpu`).
import { installPolling } from './poll.ts';

export interface DawnHandles {
  /** The object returned by create(): it must stay referenced for the whole process, or the
   *  next Dawn call touches a freed instance and the process segfaults. */
  gpu: GPU;
  globals: Record<string, unknown>;
}

let dawn: DawnHandles | null = null; // module-level on purpose: never garbage-collected

async function loadDawn(): Promise<DawnHandles> {
  if (dawn) return dawn;
  installPolling(); // must precede the import: the binding captures setImmediate
  process.env.XDG_RUNTIME_DIR ??= '/tmp'; // silences Mesa's warnings
  const mod = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, mod.globals); // GPUBufferUsage, GPUMapMode, ...
  dawn = { gpu: mod.create([]), globals: mod.globals };
  return dawn;
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  description: string;
  features: Set<string>;
}

function describe(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((x) => x?.length);
  return parts.join(' / ') || 'unknown adapter';
}

let explained = false;

/** Dawn prints two warnings of its own (natively, to stderr, where heed cannot silence them) when
 *  Mesa lavapipe reports unbounded dynamic-offset limits: "max…PerPipelineLayout artificially
 *  reduced from 1000000 to 16". Say once, in words, that they are harmless. */
function explainDawnWarnings(description: string): void {
  if (explained || !/llvmpipe|lavapipe/i.test(description)) return;
  explained = true;
  process.stderr.write(
    '[webgpu] the two Dawn warnings above ("…artificially reduced from 1000000 to 16…") are harmless: lavapipe reports no limit on dynamic buffer offsets, Dawn caps it, and heed uses none.\n',
  );
}

/** The adapter Dawn would give, described, without creating a device; null when there is none
 *  or Dawn cannot load. For choosing a backend. */
export async function probeAdapter(): Promise<string | null> {
  try {
    const { gpu } = await loadDawn();
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return null;
    const description = describe(adapter.info);
    explainDawnWarnings(description); // requesting the adapter is what prints them
    return description;
  } catch {
    return null;
  }
}

export async function acquireDevice(): Promise<AcquiredDevice> {
  const { gpu } = await loadDawn();
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'WebGPU: no adapter found. On a machine without a GPU install Mesa lavapipe 24+ (bash scripts/setup-lavapipe.sh); ' +
        "Debian bookworm's own Mesa 22 is too old for Dawn.",
    );
  }
  const info = adapter.info;
  const description = describe(info);
  // Dawn's null backend runs nothing: refuse it rather than return zeros.
  if (/\bnull\b/i.test(`${info.vendor} ${info.architecture} ${info.description}`) || info.vendor === '') {
    if (!/llvmpipe|lavapipe|nvidia|amd|intel|apple|swiftshader/i.test(description)) {
      throw new Error(`WebGPU: refusing adapter "${description}": it looks like Dawn's null adapter, which executes nothing`);
    }
  }
  const features = new Set<string>([...adapter.features].map(String));
  const wanted = (['subgroups', 'shader-f16', 'timestamp-query'] as const).filter((f) => features.has(f));
  const requiredLimits: Record<string, number> = {};
  const lim = adapter.limits as unknown as Record<string, number>;
  for (const k of [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupSizeZ',
    'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupsPerDimension',
    'maxUniformBufferBindingSize',
    'maxBindGroups',
  ]) {
    if (typeof lim[k] === 'number') requiredLimits[k] = lim[k]!;
  }
  const device = await adapter.requestDevice({ requiredFeatures: wanted as GPUFeatureName[], requiredLimits });
  explainDawnWarnings(description);
  return { adapter, device, description, features };
}
