import { Engine } from '../src/engine/engine';
import { nodeGpu } from '../src/engine/node-gpu';

/** Names the WebGPU adapter the Node tests run on, once per run, so every CI log says where kernels ran. */
export default async function reportAdapter(): Promise<void> {
  const engine = await Engine.create(await nodeGpu());
  const f = engine.features;
  console.log(
    `WebGPU adapter for Node tests: ${engine.adapterName} ` +
      `(shader-f16 ${f.shaderF16}, subgroups ${f.subgroups}, timestamp-query ${f.timestampQuery}, ` +
      `max storage binding ${engine.limits.maxStorageBufferBindingSize} B)`,
  );
  engine.destroy();
}
