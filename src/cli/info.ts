import { chooseBackend } from '../backend/choose.ts';
import { defaultThreads } from '../backend/fast/fast.ts';
import { webgpu } from '../backend/webgpu/webgpu.ts';

export async function run(): Promise<number> {
  const choice = await chooseBackend('auto');
  console.log(`backend (--backend auto): ${choice.name}, because ${choice.reason}`);
  console.log(`fast CPU backend: WebAssembly SIMD128 on ${defaultThreads()} thread(s) (HEED_THREADS overrides)`);
  try {
    const b = await webgpu();
    console.log(`adapter: ${b.device}`);
    console.log(`caps: ${JSON.stringify(b.caps)}`);
    const lim = b.gpu.limits;
    console.log(`maxStorageBufferBindingSize: ${lim.maxStorageBufferBindingSize}, maxBufferSize: ${lim.maxBufferSize}`);
  } catch (e) {
    console.log(`adapter: none usable (${(e as Error).message})`);
  }
  return 0;
}
