/**
 * Reads a preset's rows (presets.ts) from the Hugging Face Hub's dataset viewer API, in the browser
 * and in Node (tests pass their own endpoint and fetch). The endpoints used:
 *
 *   GET {endpoint}/splits?dataset=D
 *     → { splits: [{ dataset, config, split }, …] }; checked first, so a wrong config or split is
 *       named with the ones that exist rather than failing as a bare 404 on a page.
 *   GET {endpoint}/rows?dataset=D&config=C&split=S&offset=O&length=L   (L at most 100)
 *     → { features: [{ name, … }], rows: [{ row_idx, row: { column: value }, truncated_cells }], num_rows_total }
 *   Failures answer { error: "…" } with an X-Error-Code header.
 *
 * Pages are always whole 100-row pages at multiples of 100, so a cached page serves any later
 * `maxRows`. Only checked answers are cached, and a second load of the same rows makes no request.
 */
import { quote, type Dataset, type Row } from './dataset';
import type { RowsCache } from './dataset-viewer-cache';
import type { DatasetPreset, HubSource } from './presets';

export { browserRowsCache, memoryRowsCache, type RowsCache } from './dataset-viewer-cache';

export const DEFAULT_DATASET_VIEWER_ENDPOINT = 'https://datasets-server.huggingface.co';

/** The most rows /rows returns per request. */
const PAGE_ROWS = 100;
/** Pages in flight at once: fast enough for SST-2's 674 pages without tripping the viewer's rate limit. */
const CONCURRENCY = 4;
/** Extra attempts after a 5xx/429 or a network failure, with doubling delays. */
const RETRIES = 2;
const RETRY_DELAY_MS = 250;
const MAX_RETRY_AFTER_MS = 10_000;
/** 501 is the viewer saying it will never serve this dataset, so it is not retried. */
const RETRYABLE = (status: number) => status === 429 || (status >= 500 && status !== 501);

export interface RowsProgress {
  split: string;
  /** Rows of this split read so far. */
  loaded: number;
  /** Rows of this split that will be read (the split's size, or less under `maxRows`). */
  total: number;
}

export interface SkippedRow {
  split: string;
  /** The row's index in its split on the Hub. */
  rowIndex: number;
  reason: string;
}

/** The preset's rows as class ids, plus the rows that could not be used and why. */
export interface HubDataset extends Dataset {
  readonly skipped: readonly SkippedRow[];
}

export interface FetchRowsOptions {
  /** The dataset viewer's base URL (default the public one). */
  endpoint?: string;
  fetch?: typeof fetch;
  cache?: RowsCache;
  /** Read at most this many rows in all, taken from the preset's splits in order. */
  maxRows?: number;
  /** A Hub access token, for gated or private datasets. */
  token?: string;
  signal?: AbortSignal;
  onProgress?: (p: RowsProgress) => void;
}

interface ViewerRow {
  readonly index: number;
  readonly row: Readonly<Record<string, unknown>>;
  readonly truncated: readonly string[];
}

interface Page {
  readonly total: number;
  readonly rows: readonly ViewerRow[];
}

export async function fetchDatasetRows(preset: DatasetPreset, opts: FetchRowsOptions = {}): Promise<HubDataset> {
  const { hub } = preset;
  const viewer = new ViewerClient(hub, opts);
  await viewer.checkSplits();
  const rows: Row[] = [];
  const skipped: SkippedRow[] = [];
  let budget = opts.maxRows ?? Infinity;
  for (const split of hub.splits) {
    if (budget <= 0) break;
    const read = await viewer.readSplit(split, budget);
    budget -= read.length;
    for (const entry of read) {
      const row = toRow(entry, hub, preset.classNames.length);
      if (typeof row === 'string') skipped.push({ split, rowIndex: entry.index, reason: row });
      else rows.push(row);
    }
  }
  return { name: `${preset.name} (${hub.dataset}, ${hub.config}, ${hub.splits.join('+')})`, rows, labelSet: preset.classNames, skipped };
}

/** The row as a class id, or why it cannot be used. */
function toRow(entry: ViewerRow, hub: HubSource, classCount: number): Row | string {
  const text = entry.row[hub.textColumn];
  if (typeof text !== 'string' || text.trim() === '') return `column "${hub.textColumn}" is ${typeof text === 'string' ? 'empty' : quote(text)}, not a text`;
  // The viewer cuts cells of very large rows; a cut text is not the row the paper saw.
  if (entry.truncated.includes(hub.textColumn)) return `the dataset viewer truncated column "${hub.textColumn}"`;
  const label = entry.row[hub.labelColumn];
  if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= classCount) {
    return `column "${hub.labelColumn}" is ${quote(label)}, not a class id from 0 to ${classCount - 1}`;
  }
  return { text, label };
}

class ViewerClient {
  private readonly endpoint: string;
  private readonly fetchFn: typeof fetch;

  constructor(
    private readonly hub: HubSource,
    private readonly opts: FetchRowsOptions,
  ) {
    this.endpoint = (opts.endpoint ?? DEFAULT_DATASET_VIEWER_ENDPOINT).replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Throws, naming what exists, unless the viewer has the preset's config and every one of its splits. */
  async checkSplits(): Promise<void> {
    const { dataset, config, splits } = this.hub;
    const text = await this.cachedGet(`${dataset}/splits`, `/splits?${new URLSearchParams({ dataset })}`, dataset, (t) => {
      const parsed = parseJson(t) as { splits?: unknown };
      if (!Array.isArray(parsed?.splits)) throw new Error(`the dataset viewer's /splits answer for ${dataset} has no "splits" list; try again later.`);
    });
    const all = (JSON.parse(text) as { splits: { config?: unknown; split?: unknown }[] }).splits;
    const ofConfig = all.filter((s) => s.config === config).map((s) => String(s.split));
    if (ofConfig.length === 0) {
      const configs = [...new Set(all.map((s) => String(s.config)))];
      throw new Error(`${dataset} has no config "${config}" on the dataset viewer; its configs are ${configs.join(', ') || '(none)'}. The dataset changed on the Hub: pick one of those configs, or load the data from a file.`);
    }
    const missing = splits.find((s) => !ofConfig.includes(s));
    if (missing !== undefined) {
      throw new Error(`${dataset} (config ${config}) has no split "${missing}" on the dataset viewer; its splits are ${ofConfig.join(', ')}. The dataset changed on the Hub: pick one of those splits, or load the data from a file.`);
    }
  }

  /** The split's first `limit` rows (all of them when it has fewer), in order. */
  async readSplit(split: string, limit: number): Promise<ViewerRow[]> {
    const first = await this.page(split, 0, null);
    const total = Math.min(first.total, limit);
    let loaded = Math.min(first.rows.length, total);
    this.opts.onProgress?.({ split, loaded, total });
    const offsets = Array.from({ length: Math.max(0, Math.ceil(total / PAGE_ROWS) - 1) }, (_, i) => (i + 1) * PAGE_ROWS);
    const rest = await inPool(offsets, CONCURRENCY, async (offset) => {
      const page = await this.page(split, offset, first.total);
      loaded += Math.min(page.rows.length, total - offset);
      this.opts.onProgress?.({ split, loaded, total });
      return page;
    });
    return [first, ...rest].flatMap((p) => p.rows).slice(0, total);
  }

  /** One whole page, checked: `expectedTotal` is the split's size once its first page told it. */
  private async page(split: string, offset: number, expectedTotal: number | null): Promise<Page> {
    const { dataset, config } = this.hub;
    const where = `${dataset} (config ${config}, split ${split}, rows from ${offset})`;
    const query = new URLSearchParams({ dataset, config, split, offset: String(offset), length: String(PAGE_ROWS) });
    const check = (text: string) => parsePage(text, where, offset, expectedTotal, this.hub);
    return check(await this.cachedGet(`${dataset}/${config}/${split}/${offset}`, `/rows?${query}`, where, check));
  }

  /** The answer's text from the cache, or fetched, checked by `check` (which throws) and cached. */
  private async cachedGet(key: string, path: string, what: string, check: (text: string) => void): Promise<string> {
    this.throwIfAborted(what);
    const cached = await this.opts.cache?.get(key);
    if (cached !== undefined) return cached;
    const text = await this.get(path, what);
    check(text);
    await this.opts.cache?.put(key, text);
    return text;
  }

  private async get(path: string, what: string): Promise<string> {
    const headers: Record<string, string> = this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {};
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await this.fetchFn(this.endpoint + path, { headers, signal: this.opts.signal });
        if (response.ok) return await response.text();
      } catch (e) {
        failure = e;
      }
      this.throwIfAborted(what, failure);
      if (attempt === RETRIES || (response && !response.ok && !RETRYABLE(response.status))) {
        throw response && !response.ok ? await this.statusError(what, response) : this.unreachable(what, failure);
      }
      await response?.body?.cancel().catch(() => undefined);
      await sleep(retryDelay(attempt, response), this.opts.signal);
    }
  }

  private throwIfAborted(what: string, cause?: unknown): void {
    if (this.opts.signal?.aborted) {
      throw new Error(`loading ${what} from the dataset viewer was cancelled${this.opts.cache ? '; pages already read are cached for the next attempt' : ''}.`, { cause });
    }
  }

  private unreachable(what: string, error: unknown): Error {
    return new Error(
      `could not reach the dataset viewer at ${this.endpoint} for ${what} after ${RETRIES + 1} attempts (${(error as Error)?.message ?? String(error)}); check the connection and try again.`,
      { cause: error },
    );
  }

  private async statusError(what: string, response: Response): Promise<Error> {
    const body = await response.text().catch(() => '');
    const viewerError = (parseJson(body) as { error?: unknown } | undefined)?.error;
    const said = typeof viewerError === 'string' ? viewerError : body.slice(0, 200);
    const code = response.headers.get('X-Error-Code');
    const detail = said.trim() || code ? ` (the viewer says: ${[code, said.trim()].filter(Boolean).join(': ')})` : '';
    const status = `HTTP ${response.status}`;
    const { dataset } = this.hub;
    if (response.status === 404) {
      return new Error(`the dataset ${dataset} was not found by the dataset viewer for ${what} (${status})${detail}: check the dataset id; a private or gated dataset also needs an access token.`);
    }
    if (response.status === 401 || response.status === 403) {
      const todo = this.opts.token
        ? 'the access token was refused; check that it is valid and that its account has accepted the conditions on'
        : 'accept its conditions, or ask for access, on';
      return new Error(`${dataset} is gated or private (${status} for ${what})${detail}: ${todo} its Hub page (https://huggingface.co/datasets/${dataset}) and provide an access token.`);
    }
    if (RETRYABLE(response.status)) {
      return new Error(`the dataset viewer answered ${status} for ${what}${detail} ${RETRIES + 1} times; try again later.`);
    }
    if (typeof viewerError === 'string') {
      return new Error(`the dataset viewer cannot serve ${what} (${status})${detail}. It is not available for every dataset: download the data and load it as a CSV, TSV or JSONL file instead.`);
    }
    return new Error(`the dataset viewer answered ${status} for ${what}${detail}; try again later.`);
  }
}

/** Checks a /rows answer: its shape, the preset's columns, and that it holds exactly the page asked for. */
function parsePage(text: string, where: string, offset: number, expectedTotal: number | null, hub: HubSource): Page {
  const parsed = parseJson(text) as { features?: unknown; rows?: unknown; num_rows_total?: unknown } | undefined;
  const total = parsed?.num_rows_total;
  if (!Array.isArray(parsed?.rows) || typeof total !== 'number' || !Number.isSafeInteger(total)) {
    throw new Error(`the dataset viewer's answer for ${where} is not a page of rows (no "rows" list or "num_rows_total"); try again later.`);
  }
  const rows = (parsed.rows as { row_idx?: unknown; row?: unknown; truncated_cells?: unknown }[]).map((r) => ({
    index: typeof r?.row_idx === 'number' ? r.row_idx : NaN,
    row: (r?.row && typeof r.row === 'object' ? r.row : {}) as Record<string, unknown>,
    truncated: Array.isArray(r?.truncated_cells) ? (r.truncated_cells as string[]) : [],
  }));
  const expected = Math.max(0, Math.min(PAGE_ROWS, total - offset));
  const inOrder = rows.every((r, i) => r.index === offset + i);
  if ((expectedTotal !== null && total !== expectedTotal) || rows.length !== expected || !inOrder) {
    throw new Error(
      `the dataset viewer's page ${where} holds ${rows.length} rows${inOrder ? '' : ' out of order'} where ${expected} were expected (the split has ${total} rows${expectedTotal !== null && total !== expectedTotal ? `, ${expectedTotal} a moment ago` : ''}); the dataset may be changing on the Hub, try again later.`,
    );
  }
  const features = Array.isArray(parsed.features) ? (parsed.features as { name?: unknown }[]).map((f) => String(f?.name)) : Object.keys(rows[0]?.row ?? {});
  for (const [column, role] of [[hub.textColumn, 'text'], [hub.labelColumn, 'label']] as const) {
    if (rows.length > 0 && !features.includes(column)) {
      throw new Error(`the rows of ${where} have no column "${column}", which the preset reads the ${role} from; the columns are ${features.join(', ') || '(none)'}. The dataset changed on the Hub: fix the preset's column, or load the data from a file.`);
    }
  }
  return { total, rows };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Doubling delays, or the server's Retry-After when it asks for longer (within reason). */
function retryDelay(attempt: number, response: Response | undefined): number {
  const backoff = RETRY_DELAY_MS * 2 ** attempt;
  const retryAfter = Number(response?.headers.get('Retry-After') ?? NaN) * 1000;
  return Number.isFinite(retryAfter) ? Math.min(Math.max(backoff, retryAfter), MAX_RETRY_AFTER_MS) : backoff;
}

/** Waits `ms`, or less when the signal aborts (the caller then reports the cancellation). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * `task` over `items`, at most `concurrency` at a time, results in order. After a failure no new
 * task starts, and the first failure is thrown once the running ones have settled (so nothing is
 * left writing to the cache behind the caller's back).
 */
async function inPool<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await task(items[i]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return results;
}
