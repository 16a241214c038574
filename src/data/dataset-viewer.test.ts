import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchDatasetRows, memoryRowsCache, type FetchRowsOptions, type RowsProgress } from './dataset-viewer';
import { presetById, type DatasetPreset, type HubSource } from './presets';
import { SST2_SKIPPED, startFakeViewer, type FakeViewer } from './testing/fake-dataset-viewer';

let viewer: FakeViewer;
beforeAll(async () => {
  viewer = await startFakeViewer();
});
afterAll(() => viewer.close());
beforeEach(() => {
  viewer.requests = [];
  viewer.failOnce.clear();
});

const sst2 = presetById('sst2');
const trec = presetById('trec');
const load = (preset: DatasetPreset, opts: FetchRowsOptions = {}) => fetchDatasetRows(preset, { endpoint: viewer.endpoint, ...opts });
const withHub = (preset: DatasetPreset, hub: Partial<HubSource>): DatasetPreset => ({ ...preset, hub: { ...preset.hub, ...hub } });
const rowsRequests = () => viewer.requests.filter((r) => r.startsWith('/rows'));

describe('fetchDatasetRows', () => {
  it('reads every page of a split in order, maps the columns to class ids and reports the rows it skips', async () => {
    const events: RowsProgress[] = [];
    const data = await load(sst2, { onProgress: (p) => events.push(p) });
    expect(data.name).toBe('SST-2 (nyu-mll/glue, sst2, train)');
    expect(data.labelSet).toEqual(['negative', 'positive']);
    const kept = Array.from({ length: 250 }, (_, i) => i).filter((i) => !SST2_SKIPPED.includes(i));
    expect(data.rows).toEqual(kept.map((i) => ({ text: `row ${i}: the film was ${i % 2 ? 'great' : 'dull'}`, label: i % 2 })));
    expect(data.skipped).toEqual([
      { split: 'train', rowIndex: 7, reason: 'column "sentence" is empty, not a text' },
      { split: 'train', rowIndex: 13, reason: 'column "label" is -1, not a class id from 0 to 1' },
      { split: 'train', rowIndex: 21, reason: 'column "sentence" is empty, not a text' },
      { split: 'train', rowIndex: 42, reason: 'the dataset viewer truncated column "sentence"' },
    ]);
    expect(viewer.requests[0]).toBe('/splits?dataset=nyu-mll%2Fglue');
    expect(rowsRequests().sort()).toEqual([0, 100, 200].map((o) => `/rows?dataset=nyu-mll%2Fglue&config=sst2&split=train&offset=${o}&length=100`));
    expect(events[0]).toEqual({ split: 'train', loaded: 100, total: 250 });
    // Pages finish in any order; the count only grows, and ends at the split's size.
    expect(events).toHaveLength(3);
    expect(events.every((e, i) => i === 0 || e.loaded > events[i - 1]!.loaded)).toBe(true);
    expect(events.at(-1)).toEqual({ split: 'train', loaded: 250, total: 250 });
  });

  it("concatenates the preset's splits in order", async () => {
    const data = await load(trec);
    expect(data.rows).toHaveLength(170);
    expect(data.rows[0]).toEqual({ text: 'train question 0?', label: 0 });
    expect(data.rows[129]).toEqual({ text: 'train question 129?', label: 129 % 6 });
    expect(data.rows[130]).toEqual({ text: 'test question 0?', label: 0 });
    expect(data.skipped).toEqual([]);
    expect(data.labelSet).toEqual(trec.classNames);
  });

  it('reads at most maxRows rows, in whole pages that a later full load reuses', async () => {
    const cache = memoryRowsCache();
    const part = await load(trec, { maxRows: 150, cache });
    expect(part.rows).toHaveLength(150);
    expect(part.rows[149]).toEqual({ text: 'test question 19?', label: 19 % 6 });
    viewer.requests = [];
    const full = await load(trec, { cache });
    expect(full.rows).toHaveLength(170);
    expect(viewer.requests).toEqual([]);
  });

  it('retries a page the viewer answers 503 for, then succeeds', async () => {
    viewer.failOnce.add('train/100');
    const data = await load(sst2);
    expect(data.rows).toHaveLength(246);
    expect(rowsRequests().filter((r) => r.includes('offset=100&'))).toHaveLength(2);
  });

  it('caches the answers, so a second load makes no request', async () => {
    const cache = memoryRowsCache();
    const first = await load(sst2, { cache });
    viewer.requests = [];
    const second = await load(sst2, { cache, fetch: () => Promise.reject(new Error('offline')) });
    expect(viewer.requests).toEqual([]);
    expect(second).toEqual(first);
  });

  it('cancels when the signal aborts and keeps the pages read for the next attempt', async () => {
    const controller = new AbortController();
    const cache = memoryRowsCache();
    const abortAfterFirstPage = () => controller.abort();
    await expect(load(sst2, { cache, signal: controller.signal, onProgress: abortAfterFirstPage })).rejects.toThrow(
      /loading nyu-mll\/glue \(config sst2, split train, rows from \d+\) from the dataset viewer was cancelled; pages already read are cached/,
    );
    expect(await cache.get('nyu-mll/glue/sst2/train/0')).toBeDefined();
  });
});

describe('fetchDatasetRows errors', () => {
  it('says a dataset was not found (404)', async () => {
    await expect(load(withHub(sst2, { dataset: 'org/missing' }))).rejects.toThrow(
      /the dataset org\/missing was not found by the dataset viewer for org\/missing \(HTTP 404\) \(the viewer says: DatasetNotFoundError: The dataset does not exist.*\): check the dataset id; a private or gated dataset also needs an access token/,
    );
  });

  it('says a gated or private dataset needs access and a token (401)', async () => {
    await expect(load(withHub(sst2, { dataset: 'org/gated' }))).rejects.toThrow(
      /org\/gated is gated or private \(HTTP 401 for org\/gated\).*accept its conditions, or ask for access, on its Hub page \(https:\/\/huggingface\.co\/datasets\/org\/gated\) and provide an access token/,
    );
  });

  it("passes on the viewer's error when it cannot serve a dataset, without retrying", async () => {
    await expect(load(withHub(sst2, { dataset: 'org/no-viewer' }))).rejects.toThrow(
      /the dataset viewer cannot serve org\/no-viewer \(HTTP 501\) \(the viewer says: DatasetViewerDisabledError: The dataset viewer has been disabled on this dataset\.\)\. .*load it as a CSV, TSV or JSONL file/,
    );
    expect(viewer.requests).toHaveLength(1);
  });

  it('names a missing config or split with the ones that exist', async () => {
    await expect(load(withHub(sst2, { config: 'sst5' }))).rejects.toThrow('nyu-mll/glue has no config "sst5" on the dataset viewer; its configs are sst2, cola.');
    await expect(load(withHub(sst2, { splits: ['train', 'dev'] }))).rejects.toThrow(
      'nyu-mll/glue (config sst2) has no split "dev" on the dataset viewer; its splits are train, validation, test.',
    );
  });

  it('names a missing column and lists the columns there are', async () => {
    await expect(load(withHub(sst2, { textColumn: 'text' }))).rejects.toThrow(
      'the rows of nyu-mll/glue (config sst2, split train, rows from 0) have no column "text", which the preset reads the text from; the columns are idx, sentence, label.',
    );
  });

  it('says the viewer could not be reached when fetch rejects', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchDatasetRows(sst2, { endpoint })).rejects.toThrow(
      /could not reach the dataset viewer at http:\/\/127\.0\.0\.1:\d+ for nyu-mll\/glue after 3 attempts .*check the connection/,
    );
  });
});
