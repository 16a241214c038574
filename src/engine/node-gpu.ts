/**
 * WebGPU for Node through Dawn (npm package `webgpu`). Node-only: the browser uses navigator.gpu.
 *
 * Dawn picks the best installed Vulkan driver itself (a real GPU, or Mesa's lavapipe on machines
 * without one). Where no driver gives an adapter, it falls back to the SwiftShader driver that
 * Debian's Chromium ships. A VK_ICD_FILENAMES the user set is always kept.
 */
import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let gpu: Promise<GPU> | null = null;

export function nodeGpu(): Promise<GPU> {
  gpu ??= findGpu();
  return gpu;
}

async function findGpu(): Promise<GPU> {
  Object.assign(globalThis, globals);
  const first = create([]);
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || !existsSync(SWIFTSHADER_ICD)) return first;
  if (await first.requestAdapter()) return first;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return create([]);
}
