import { webgpu } from '../backend/webgpu/webgpu.ts';

export async function run(): Promise<number> {
  const b = await webgpu();
  console.log(`adapter: ${b.device}`);
  console.log(`caps: ${JSON.stringify(b.caps)}`);
  const lim = b.gpu.limits;
  console.log(`maxStorageBufferBindingSize: ${lim.maxStorageBufferBindingSize}, maxBufferSize: ${lim.maxBufferSize}`);
  return 0;
}
