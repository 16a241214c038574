import { WebGpuUnavailableError } from './errors';

/** Optional features the engine uses when the adapter has them; none is required. */
export interface GpuFeatures {
  readonly shaderF16: boolean;
  readonly subgroups: boolean;
  readonly timestampQuery: boolean;
}

export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  readonly features: GpuFeatures;
}

/** Limits the engine raises to whatever the adapter offers, instead of WebGPU's small defaults. */
const LIMITS_TO_RAISE = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
  };
}

/**
 * Whether the adapter runs on the CPU (Mesa's lavapipe/llvmpipe, SwiftShader): a handful of threads
 * instead of thousands of GPU lanes, so kernels are tuned for it differently (matmul tiling).
 */
export function isSoftwareAdapter(a: AdapterDescription): boolean {
  return /llvmpipe|lavapipe|swiftshader/i.test(adapterName(a));
}

export function adapterName(a: AdapterDescription): string {
  return [a.vendor, a.architecture, a.device, a.description].filter((s) => s).join(' / ') || 'unknown adapter';
}

export async function acquireDevice(gpu: GPU | undefined, powerPreference: GPUPowerPreference = 'high-performance'): Promise<AcquiredDevice> {
  if (!gpu) {
    throw new WebGpuUnavailableError(
      'WebGPU is not available in this browser. Use a recent Chrome or Edge (version 113 or later) on a machine with a GPU; ' +
        'on Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan, or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) {
    throw new WebGpuUnavailableError(
      'WebGPU is present but no GPU adapter was found. Check that hardware acceleration is on (chrome://settings/system) ' +
        'and that your GPU driver is not blocklisted (chrome://gpu). On Linux, WebGPU must be enabled: open ' +
        'chrome://flags/#enable-unsafe-webgpu and chrome://flags/#enable-vulkan, or start Chrome with ' +
        '--enable-unsafe-webgpu --enable-features=Vulkan, then reload.',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_RAISE) {
    const value = adapter.limits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const wanted: GPUFeatureName[] = [];
  const has = (f: string) => adapter.features.has(f);
  if (has('shader-f16')) wanted.push('shader-f16');
  if (has('subgroups')) wanted.push('subgroups' as GPUFeatureName);
  if (has('timestamp-query')) wanted.push('timestamp-query');
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: wanted });
  return {
    device,
    adapter: describeAdapter(adapter),
    features: {
      shaderF16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      timestampQuery: device.features.has('timestamp-query'),
    },
  };
}
