// One configurable root for the shared data sets (never copied into the repository).
// HEED_DATA overrides; the default is ../shared/data beside the project root.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function dataRoot(): string {
  return process.env.HEED_DATA ? resolve(process.env.HEED_DATA) : resolve(projectRoot, '..', 'shared', 'data');
}

/** Path of a file under the data root; throws naming the root and the variable when it is missing. */
export function dataPath(...parts: string[]): string {
  const p = join(dataRoot(), ...parts);
  if (!existsSync(p)) {
    throw new Error(`data file not found: ${p} (data root ${dataRoot()}; set HEED_DATA to point elsewhere)`);
  }
  return p;
}

export { projectRoot };
