// The CPU reference backend: storage is a typed array, a kernel is its `cpu` loop. Slow and
// obvious on purpose; it is the oracle every other backend is checked against.
import type { DType, TypedArray } from '../../core/dtype.ts';
import { BYTES, allocArray } from '../../core/dtype.ts';
import { setDefaultBackendFactory } from '../../core/tensor.ts';
import type { Backend, Kernel, MemoryStats, Storage } from '../backend.ts';

export class CpuStorage implements Storage {
  constructor(
    readonly dtype: DType,
    readonly length: number,
    readonly data: TypedArray,
  ) {}
}

function cpuStorage(s: Storage): CpuStorage {
  if (!(s instanceof CpuStorage)) throw new Error('cpu backend: got storage from another backend');
  return s;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly device = 'cpu reference (JavaScript loops)';
  private live = 0;
  private liveBytes = 0;

  supports(_dtype: DType): boolean {
    return true;
  }
  alloc(dtype: DType, length: number): Storage {
    this.live++;
    this.liveBytes += length * BYTES[dtype];
    return new CpuStorage(dtype, length, allocArray(dtype, length));
  }
  free(s: Storage): void {
    this.live--;
    this.liveBytes -= s.length * BYTES[s.dtype];
  }
  upload(s: Storage, data: TypedArray): void {
    const c = cpuStorage(s);
    if (data.length !== c.length) throw new Error(`cpu upload: ${data.length} values into a storage of ${c.length}`);
    c.data.set(data);
  }
  async download(s: Storage): Promise<TypedArray> {
    return this.readSync(s);
  }
  readSync(s: Storage): TypedArray {
    return cpuStorage(s).data.slice();
  }
  run<P>(k: Kernel<P>, inputs: Storage[], outputs: Storage[], p: P): void {
    k.cpu(
      inputs.map((s) => cpuStorage(s).data),
      outputs.map((s) => cpuStorage(s).data),
      p,
    );
  }
  flush(): void {}
  async sync(): Promise<void> {}
  memory(): MemoryStats {
    return { buffers: this.live, bytes: this.liveBytes };
  }
}

export const cpu = new CpuBackend();
setDefaultBackendFactory(() => cpu);
