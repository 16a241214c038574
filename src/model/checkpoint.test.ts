import { describe, expect, it } from 'vitest';
import { checkpointBytes, openCheckpoint } from './checkpoint';
import { memoryFolder } from './files';
import { encodeSafetensors, f32Bytes } from './safetensors';

const shard1 = encodeSafetensors([
  { name: 'wte.weight', dtype: 'F32', shape: [2, 2], bytes: f32Bytes([1, 2, 3, 4]) },
  { name: 'h.0.ln_1.weight', dtype: 'BF16', shape: [2], bytes: new Uint8Array(new Uint16Array([0x3f80, 0xc000]).buffer) },
]);
const shard2 = encodeSafetensors([{ name: 'ln_f.weight', dtype: 'F16', shape: [3], bytes: new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0x3800]).buffer) }]);
const S1 = 'model-00001-of-00002.safetensors';
const S2 = 'model-00002-of-00002.safetensors';
const index = (weightMap: Record<string, string>) => JSON.stringify({ metadata: { total_size: 26 }, weight_map: weightMap });
const fullMap = { 'wte.weight': S1, 'h.0.ln_1.weight': S1, 'ln_f.weight': S2 };

describe('openCheckpoint', () => {
  it('opens a single model.safetensors', async () => {
    const c = await openCheckpoint(memoryFolder('tiny', { 'config.json': '{}', 'model.safetensors': shard1 }));
    expect(c.label).toBe('tiny/model.safetensors');
    expect(c.names()).toEqual(['wte.weight', 'h.0.ln_1.weight']);
    expect(c.info('wte.weight')).toEqual({ dtype: 'F32', shape: [2, 2], file: 'model.safetensors' });
    expect(c.info('missing')).toBeUndefined();
    expect([...(await c.read('wte.weight'))]).toEqual([1, 2, 3, 4]);
    expect([...(await c.read('h.0.ln_1.weight'))]).toEqual([1, -2]);
    expect(checkpointBytes(c)).toBe(16 + 4);
  });

  it('opens shards listed by model.safetensors.index.json', async () => {
    const c = await openCheckpoint(memoryFolder('tiny', { 'model.safetensors.index.json': index(fullMap), [S1]: shard1, [S2]: shard2 }));
    expect(c.label).toBe('tiny/model.safetensors.index.json');
    expect([...c.names()].sort()).toEqual(['h.0.ln_1.weight', 'ln_f.weight', 'wte.weight']);
    expect(c.info('ln_f.weight')).toEqual({ dtype: 'F16', shape: [3], file: S2 });
    expect([...(await c.read('ln_f.weight'))]).toEqual([1, 2, 0.5]);
    expect([...(await c.read('wte.weight'))]).toEqual([1, 2, 3, 4]);
    expect(checkpointBytes(c)).toBe(16 + 4 + 6);
  });

  it('prefers model.safetensors over an index beside it', async () => {
    const c = await openCheckpoint(memoryFolder('tiny', { 'model.safetensors.index.json': index({ x: 'gone.safetensors' }), 'model.safetensors': shard2 }));
    expect(c.names()).toEqual(['ln_f.weight']);
  });

  it('rejects an index naming a shard that is not in the folder', async () => {
    await expect(openCheckpoint(memoryFolder('tiny', { 'model.safetensors.index.json': index(fullMap), [S1]: shard1 }))).rejects.toThrow(
      `model.safetensors.index.json names shard ${S2}, which is not in tiny; download the missing shard`,
    );
  });

  it('rejects an index putting a tensor in a shard that lacks it', async () => {
    const folder = memoryFolder('tiny', { 'model.safetensors.index.json': index({ ...fullMap, 'lm_head.weight': S2 }), [S1]: shard1, [S2]: shard2 });
    await expect(openCheckpoint(folder)).rejects.toThrow(
      `tiny/model.safetensors.index.json puts tensor "lm_head.weight" in ${S2}, but that shard has no such tensor`,
    );
  });

  it('rejects a tensor that is in two shards', async () => {
    const dup = encodeSafetensors([
      { name: 'ln_f.weight', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) },
      { name: 'wte.weight', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) },
    ]);
    const folder = memoryFolder('tiny', { 'model.safetensors.index.json': index(fullMap), [S1]: shard1, [S2]: dup });
    await expect(openCheckpoint(folder)).rejects.toThrow(`tensor "wte.weight" is in both ${S1} and ${S2}; a tensor may be in one shard only`);
  });

  it('rejects an index that is not JSON or has no weight_map', async () => {
    await expect(openCheckpoint(memoryFolder('tiny', { 'model.safetensors.index.json': '{' }))).rejects.toThrow(/tiny\/model\.safetensors\.index\.json is not valid JSON/);
    await expect(openCheckpoint(memoryFolder('tiny', { 'model.safetensors.index.json': '{"metadata": {}}' }))).rejects.toThrow(
      'tiny/model.safetensors.index.json has no weight_map object (got undefined)',
    );
    await expect(openCheckpoint(memoryFolder('tiny', { 'model.safetensors.index.json': '{"weight_map": {"w": 3}}' }))).rejects.toThrow(
      'weight_map "w" is 3, not a shard file name',
    );
  });

  it('rejects a folder with only pytorch_model.bin', async () => {
    await expect(openCheckpoint(memoryFolder('gpt2', { 'config.json': '{}', 'pytorch_model.bin': new Uint8Array(4) }))).rejects.toThrow(
      "only safetensors checkpoints are supported: gpt2 has pytorch_model.bin; convert it or pick the model's safetensors revision",
    );
  });

  it('lists the files found when there is no checkpoint', async () => {
    await expect(openCheckpoint(memoryFolder('gpt2', { 'config.json': '{}', 'tokenizer.json': '{}' }))).rejects.toThrow(
      "gpt2 has no model.safetensors and no model.safetensors.index.json (files: config.json, tokenizer.json); pick the folder that holds the model's safetensors weights",
    );
    await expect(openCheckpoint(memoryFolder('empty', {}))).rejects.toThrow('(files: none)');
  });

  it('names the folder in header errors and rejects reading an absent tensor', async () => {
    await expect(openCheckpoint(memoryFolder('tiny', { 'model.safetensors': shard1.subarray(0, shard1.byteLength - 1) }))).rejects.toThrow(
      /^model\.safetensors: the file is truncated: .*; download it again \(in tiny\)$/,
    );
    const c = await openCheckpoint(memoryFolder('tiny', { 'model.safetensors': shard1 }));
    await expect(c.read('lm_head.weight')).rejects.toThrow('tiny/model.safetensors: there is no tensor "lm_head.weight" in the checkpoint (it has 2 tensors)');
  });
});
