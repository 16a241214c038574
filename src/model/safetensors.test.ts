import { describe, expect, it } from 'vitest';
import { memoryFile, type ModelFile } from './files';
import { encodeSafetensors, f32Bytes, readSafetensorsHeader, readTensorF32 } from './safetensors';

function u16Bytes(bits: readonly number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(bits).buffer);
}

/** A safetensors file from a header written as given (not validated), so broken files can be built. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

function countingFile(file: ModelFile): { file: ModelFile; bytesRead: () => number } {
  let total = 0;
  return {
    file: {
      name: file.name,
      size: file.size,
      read(offset, length) {
        total += length;
        return file.read(offset, length);
      },
    },
    bytesRead: () => total,
  };
}

const open = (bytes: Uint8Array) => readSafetensorsHeader(memoryFile('model.safetensors', bytes));

describe('readSafetensorsHeader + readTensorF32 round trip', () => {
  it('reads F32 exactly, including -0, a subnormal, the largest float, infinities and NaN', async () => {
    const values = [0, -0, 1.5, -2.25, Math.fround(1e-45), 3.4028234663852886e38, Infinity, -Infinity, NaN, Math.fround(0.1)];
    const header = await open(encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2, 5], bytes: f32Bytes(values) }]));
    expect(header.tensors.get('w')).toMatchObject({ dtype: 'F32', shape: [2, 5] });
    const out = await readTensorF32(header, 'w');
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out]).toEqual(values);
    expect(Object.is(out[1], -0)).toBe(true);
  });

  it('widens F16 exactly, including -0, subnormals, the largest half, infinities and NaN', async () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x0400, 2 ** -14],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x7e00, NaN],
    ];
    const header = await open(encodeSafetensors([{ name: 'h', dtype: 'F16', shape: [cases.length], bytes: u16Bytes(cases.map(([b]) => b)) }]));
    const out = await readTensorF32(header, 'h');
    expect([...out]).toEqual(cases.map(([, v]) => v));
    expect(Object.is(out[1], -0)).toBe(true);
  });

  it('widens BF16 exactly as the upper 16 bits of an f32', async () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x0001, 2 ** -133],
      [0x3f80, 1],
      [0xc049, -3.140625],
      [0x7f7f, 3.3895313892515355e38],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x7fc0, NaN],
    ];
    const header = await open(encodeSafetensors([{ name: 'b', dtype: 'BF16', shape: [3, 3], bytes: u16Bytes(cases.map(([b]) => b)) }]));
    const out = await readTensorF32(header, 'b');
    expect([...out]).toEqual(cases.map(([, v]) => v));
    expect(Object.is(out[1], -0)).toBe(true);
    expect([...new Uint32Array(out.buffer)]).toEqual(cases.map(([b]) => (b << 16) >>> 0));
  });

  it('reads tensors whose bytes start at offsets that are not multiples of 4', async () => {
    const bytes = encodeSafetensors([
      { name: 'odd', dtype: 'F16', shape: [3], bytes: u16Bytes([0x3c00, 0x4000, 0x4200]) },
      { name: 'after', dtype: 'F32', shape: [2], bytes: f32Bytes([7.5, -1]) },
    ]);
    const header = await open(bytes);
    expect(header.tensors.get('after')!.begin % 4).toBe(2);
    expect([...(await readTensorF32(header, 'odd'))]).toEqual([1, 2, 3]);
    expect([...(await readTensorF32(header, 'after'))]).toEqual([7.5, -1]);
    // A header whose length is odd puts the data section itself at an odd offset.
    const json = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    const odd = rawFile(json.length % 2 === 0 ? `${json} ` : json, f32Bytes([0.5, 4]));
    const oddHeader = await open(odd);
    expect(oddHeader.dataStart % 2).toBe(1);
    expect([...(await readTensorF32(oddHeader, 'w'))]).toEqual([0.5, 4]);
  });

  it('reads empty tensors and scalars, and keeps the metadata', async () => {
    const header = await open(
      encodeSafetensors(
        [
          { name: 'empty', dtype: 'F32', shape: [0], bytes: new Uint8Array(0) },
          { name: 'empty2d', dtype: 'BF16', shape: [4, 0], bytes: new Uint8Array(0) },
          { name: 'scalar', dtype: 'F32', shape: [], bytes: f32Bytes([42]) },
        ],
        { format: 'pt', note: 'tiny' },
      ),
    );
    expect(header.metadata).toEqual({ format: 'pt', note: 'tiny' });
    expect([...header.tensors.keys()]).toEqual(['empty', 'empty2d', 'scalar']);
    expect((await readTensorF32(header, 'empty')).length).toBe(0);
    expect((await readTensorF32(header, 'empty2d')).length).toBe(0);
    expect([...(await readTensorF32(header, 'scalar'))]).toEqual([42]);
  });

  it('gives absolute offsets and a copy that does not alias the file', async () => {
    const bytes = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) }]);
    const header = await open(bytes);
    expect(header.tensors.get('w')).toEqual({ dtype: 'F32', shape: [1], begin: header.dataStart, end: header.dataStart + 4 });
    const out = await readTensorF32(header, 'w');
    out[0] = 99;
    expect([...(await readTensorF32(header, 'w'))]).toEqual([1]);
  });

  it('reads only the header bytes when opening, and only the tensor bytes when reading one', async () => {
    const big = new Float32Array(10_000).fill(1);
    const bytes = encodeSafetensors([
      { name: 'a', dtype: 'F32', shape: [10_000], bytes: f32Bytes(big) },
      { name: 'b', dtype: 'F32', shape: [3], bytes: f32Bytes([1, 2, 3]) },
    ]);
    const counted = countingFile(memoryFile('model.safetensors', bytes));
    const header = await readSafetensorsHeader(counted.file);
    expect(counted.bytesRead()).toBe(header.dataStart);
    expect(header.dataStart).toBeLessThan(200);
    await readTensorF32(header, 'b');
    expect(counted.bytesRead()).toBe(header.dataStart + 12);
  });
});

describe('readSafetensorsHeader rejects broken files', () => {
  const w = (entry: Record<string, unknown>) => ({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8], ...entry } });
  const data = f32Bytes([1, 2]);

  it('a file shorter than 8 bytes', async () => {
    await expect(open(new Uint8Array(5))).rejects.toThrow(/^model\.safetensors: the file has 5 bytes, fewer than the 8-byte header length .* download it again$/);
  });

  it('a header length beyond the end of the file', async () => {
    await expect(open(rawFile(w({}), data, 1000))).rejects.toThrow(/header length field says 1000 bytes, but the file has only \d+ bytes in all; the file is truncated/);
  });

  it('a header length over 100 MB', async () => {
    await expect(open(rawFile(w({}), data, 200_000_000))).rejects.toThrow(/header length field says 200000000 bytes, more than the 100000000-byte limit/);
  });

  it('a header that is not UTF-8', async () => {
    await expect(open(rawFile('', new Uint8Array([0xff, 0xfe, 0x7b]), 3))).rejects.toThrow(/the 3-byte header is not valid UTF-8/);
  });

  it('a header that is not JSON', async () => {
    await expect(open(rawFile('{"w": {"dtype": '))).rejects.toThrow(/the header is not valid JSON \(.*\); the file is corrupt/);
  });

  it('a header that is not an object', async () => {
    await expect(open(rawFile([1, 2]))).rejects.toThrow(/the header is an array \[1,2\], not a JSON object of tensors/);
    await expect(open(rawFile(null))).rejects.toThrow(/the header is null, not a JSON object/);
  });

  it('an entry that is not an object, or lacks dtype, shape or data_offsets', async () => {
    await expect(open(rawFile({ w: 5 }))).rejects.toThrow(/tensor "w" is number 5, not an object with dtype, shape and data_offsets/);
    await expect(open(rawFile({ w: { dtype: 'F32', shape: [2] } }, data))).rejects.toThrow(/tensor "w" has no data_offsets;/);
    await expect(open(rawFile({ w: { data_offsets: [0, 8] } }, data))).rejects.toThrow(/tensor "w" has no dtype, shape;/);
  });

  it('an unknown dtype', async () => {
    await expect(open(rawFile(w({ dtype: 'F17' }), data))).rejects.toThrow(/tensor "w" has dtype "F17", which is not a safetensors dtype \(BOOL, .*\); the file is corrupt or from a newer safetensors version/);
    await expect(open(rawFile(w({ dtype: 7 }), data))).rejects.toThrow(/tensor "w" has dtype number 7, not a string/);
  });

  it('a known dtype the loader does not read, only when that tensor is read', async () => {
    const header = await open(
      rawFile(
        {
          ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] },
          d: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
          m: { dtype: 'U8', shape: [2], data_offsets: [16, 18] },
        },
        new Uint8Array(18),
      ),
    );
    for (const [name, dtype] of [['ids', 'I64'], ['d', 'F64'], ['m', 'U8']]) {
      await expect(readTensorF32(header, name)).rejects.toThrow(
        `model.safetensors: tensor "${name}" is ${dtype}; the loader reads F32, F16 and BF16 weights only; convert the checkpoint to one of those`,
      );
    }
  });

  it('negative or fractional shape entries', async () => {
    await expect(open(rawFile(w({ shape: [-1] }), data))).rejects.toThrow(/tensor "w" has shape \[-1\]: dimension 0 \(-1\) is not a non-negative integer/);
    await expect(open(rawFile(w({ shape: [2, 1.5] }), data))).rejects.toThrow(/tensor "w" has shape \[2,1.5\]: dimension 1 \(1.5\) is not a non-negative integer/);
    await expect(open(rawFile(w({ shape: 'big' }), data))).rejects.toThrow(/tensor "w" has shape string "big", not an array of dimensions/);
  });

  it('malformed data_offsets', async () => {
    await expect(open(rawFile(w({ data_offsets: [8, 0] }), data))).rejects.toThrow(/tensor "w" has data_offsets \[8,0\], not \[begin, end\] with integers 0 <= begin <= end/);
    await expect(open(rawFile(w({ data_offsets: [0] }), data))).rejects.toThrow(/data_offsets \[0\], not \[begin, end\]/);
    await expect(open(rawFile(w({ data_offsets: [-4, 4] }), data))).rejects.toThrow(/data_offsets \[-4,4\], not \[begin, end\]/);
  });

  it('a byte count that does not match dtype and shape', async () => {
    await expect(open(rawFile(w({ data_offsets: [0, 4] }), data))).rejects.toThrow(
      /tensor "w" is F32 \[2\], which needs 8 bytes, but its data_offsets \[0, 4\] span 4 bytes/,
    );
  });

  it('a truncated file', async () => {
    const bytes = encodeSafetensors([
      { name: 'a', dtype: 'F32', shape: [2], bytes: f32Bytes([1, 2]) },
      { name: 'b', dtype: 'F32', shape: [4], bytes: f32Bytes([1, 2, 3, 4]) },
    ]);
    const cut = bytes.subarray(0, bytes.byteLength - 5);
    await expect(open(cut)).rejects.toThrow(
      `model.safetensors: the file is truncated: it has ${cut.byteLength} bytes, tensor "b" needs bytes up to ${bytes.byteLength}; download it again`,
    );
  });

  it('overlapping tensors', async () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    await expect(open(rawFile(header, new Uint8Array(12)))).rejects.toThrow(/tensors "a" \(bytes \d+\.\.\d+\) and "b" \(bytes \d+\.\.\d+\) overlap/);
  });

  it('metadata that is not an object of strings', async () => {
    await expect(open(rawFile({ __metadata__: { format: 'pt', step: 3 } }))).rejects.toThrow(/__metadata__ "step" is number 3, not a string/);
    await expect(open(rawFile({ __metadata__: 'pt' }))).rejects.toThrow(/__metadata__ is string "pt", not an object of strings/);
  });

  it('a tensor name that is not in the file', async () => {
    const header = await open(encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], bytes: f32Bytes([1]) }]));
    await expect(readTensorF32(header, 'v')).rejects.toThrow('model.safetensors: there is no tensor "v" in the file (it has 1 tensors)');
  });
});
