/**
 * Downloads a model's files from the Hugging Face Hub into a ModelCache and returns them as a
 * ModelFolder. Works in the browser and in Node (tests pass their own fetch and endpoint).
 *
 * Each file is stored only once complete, so an interrupted download keeps the finished files and
 * the next attempt fetches only the rest. Once every file is cached, a manifest (the list of files
 * the download found) lets later calls return the folder without any request, offline included.
 * A cached repo@revision is reused as is: delete it from the cache to fetch a newer "main".
 */
import type { ModelFolder } from './files';
import { blobFolder } from './files-browser';
import type { ModelCache } from './hub-cache';

export { browserCacheNames, browserModelCache, memoryModelCache, type ModelCache } from './hub-cache';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number | null;
  /** Bytes of all the model's files so far, those already cached included. */
  overallLoaded: number;
  /** Null until the size of every file is known (the weights' sizes come before their download). */
  overallTotal: number | null;
}

export interface DownloadOptions {
  revision?: string;
  endpoint?: string;
  fetch?: typeof fetch;
  cache: ModelCache;
  token?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

const MANIFEST = '.abft-manifest.json';
const SMALL_FILES = [
  { name: 'config.json', required: true },
  { name: 'tokenizer.json', required: true },
  { name: 'tokenizer_config.json', required: false },
  { name: 'generation_config.json', required: false },
];
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+$/;

export async function downloadModel(repo: string, opts: DownloadOptions): Promise<ModelFolder> {
  if (!REPO_ID.test(repo) || repo.includes('..') || repo.includes('--') || repo.length > 96) {
    throw new Error(`"${repo}" is not a Hugging Face model id: write it as organization/name, e.g. HuggingFaceTB/SmolLM2-135M.`);
  }
  const revision = opts.revision ?? 'main';
  const session = new HubSession(repo, revision, opts);
  const cachedNames = await session.cachedManifest();
  const names = cachedNames ?? (await session.downloadAll());
  const files = await Promise.all(names.map(async (path) => ({ path, blob: (await opts.cache.get(session.key(path)))! })));
  return blobFolder(`Hub: ${repo}@${revision}`, files);
}

class HubSession {
  private readonly endpoint: string;
  private readonly fetchFn: typeof fetch;
  private readonly id: string;
  private overallLoaded = 0;
  /** Sizes of the files still to download; null where a size is unknown. */
  private pendingSizes: (number | null)[] = [];
  private sizesKnown = false;
  /** Sizes learned from HEAD requests, so a weight file is asked about once. */
  private readonly headSizes = new Map<string, number | null>();

  constructor(
    private readonly repo: string,
    private readonly revision: string,
    private readonly opts: DownloadOptions,
  ) {
    this.endpoint = (opts.endpoint ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.id = `${repo}@${revision}`;
  }

  key(file: string): string {
    return `${this.id}/${file}`;
  }

  /** The file names of an earlier complete download, if all of them are still in the cache. */
  async cachedManifest(): Promise<string[] | null> {
    const blob = await this.opts.cache.get(this.key(MANIFEST));
    if (!blob) return null;
    let names: string[];
    try {
      names = JSON.parse(await blob.text()) as string[];
    } catch {
      return null;
    }
    const present = new Set((await this.opts.cache.list(`${this.id}/`)).map((f) => f.key));
    return names.every((n) => present.has(this.key(n))) ? names : null;
  }

  async downloadAll(): Promise<string[]> {
    const names: string[] = [];
    for (const { name, required } of SMALL_FILES) {
      if (await this.fetchToCache(name, required)) names.push(name);
    }
    const weights = await this.weightFiles();
    names.push(...weights.filter((w) => w.endsWith('.json')));
    const shards = weights.filter((w) => !w.endsWith('.json'));
    this.pendingSizes = await Promise.all(shards.map((s) => this.weightSize(s)));
    this.sizesKnown = true;
    for (const shard of shards) {
      await this.fetchToCache(shard, true);
      this.pendingSizes.shift();
      names.push(shard);
    }
    await this.opts.cache.put(this.key(MANIFEST), new Blob([JSON.stringify(names)]));
    return names;
  }

  /** The checkpoint's files: model.safetensors, or the index (downloaded here) and its shards. */
  private async weightFiles(): Promise<string[]> {
    const single = 'model.safetensors';
    if ((await this.opts.cache.get(this.key(single))) || (await this.exists(single))) return [single];
    const indexName = 'model.safetensors.index.json';
    if (await this.fetchToCache(indexName, false)) {
      const index = await this.opts.cache.get(this.key(indexName));
      return [indexName, ...shardNames(this.id, await index!.text())];
    }
    if (await this.exists('pytorch_model.bin')) {
      throw new Error(
        `${this.id} has only a PyTorch checkpoint (pytorch_model.bin), no model.safetensors: ABFT Studio reads safetensors only. Look for a safetensors version of the model on the Hub (often a "refs/pr/N" conversion revision), or convert it with Python.`,
      );
    }
    throw new Error(`${this.id} has no model.safetensors or model.safetensors.index.json: pick a model repository that includes safetensors weights.`);
  }

  private url(file: string): string {
    const path = [...this.repo.split('/'), 'resolve', this.revision, ...file.split('/')].map(encodeURIComponent).join('/');
    return `${this.endpoint}/${path}`;
  }

  /**
   * The Hub answers weights with a redirect to its CDN (cdn-lfs*.hf.co, cas-bridge.xethub.hf.co,
   * *.cdn.hf.co): fetch follows it and, as the Fetch standard requires of a cross-origin redirect,
   * drops the Authorization header, so the token reaches the endpoint alone (hub.test.ts checks it).
   * Whether the endpoint may have the token at all is the caller's decision (src/model/hub-endpoint.ts).
   */
  private async request(file: string, method: 'GET' | 'HEAD'): Promise<Response> {
    const headers: Record<string, string> = this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {};
    try {
      return await this.fetchFn(this.url(file), { method, headers, signal: this.opts.signal });
    } catch (e) {
      throw this.failure(file, e);
    }
  }

  /** Whether the file exists, without downloading it (a 404 means no). */
  private async exists(file: string): Promise<boolean> {
    const response = await this.request(file, 'HEAD');
    if (response.status === 404) return false;
    if (!response.ok) throw await this.statusError(file, response);
    this.headSizes.set(file, contentLength(response));
    return true;
  }

  /** The size a weight file will have, for the overall progress; null when the Hub does not say. */
  private async weightSize(file: string): Promise<number | null> {
    const cached = await this.opts.cache.get(this.key(file));
    if (cached) return cached.size;
    if (!this.headSizes.has(file) && !(await this.exists(file))) {
      throw new Error(`${this.id}: model.safetensors.index.json lists ${file}, which is not in the repository; the checkpoint is broken, try another revision.`);
    }
    return this.headSizes.get(file) ?? null;
  }

  /** Downloads `file` into the cache unless it is there; false when an optional file does not exist. */
  private async fetchToCache(file: string, required: boolean): Promise<boolean> {
    const cached = await this.opts.cache.get(this.key(file));
    if (cached) {
      this.overallLoaded += cached.size;
      this.report(file, cached.size, cached.size);
      return true;
    }
    const response = await this.request(file, 'GET');
    if (response.status === 404 && file !== 'config.json' && !isRepoError(response)) {
      await response.body?.cancel();
      if (!required) return false;
      throw new Error(`${this.id} has no ${file} on the Hub: ABFT Studio needs it; pick a model repository that includes ${file}.`);
    }
    if (!response.ok) throw await this.statusError(file, response);
    const blob = await this.readBody(file, response);
    await this.opts.cache.put(this.key(file), blob);
    return true;
  }

  private async readBody(file: string, response: Response): Promise<Blob> {
    const total = contentLength(response);
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let loaded = 0;
    const reader = response.body?.getReader();
    try {
      for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
        chunks.push(part.value);
        loaded += part.value.byteLength;
        this.overallLoaded += part.value.byteLength;
        this.report(file, loaded, total);
      }
    } catch (e) {
      this.overallLoaded -= loaded;
      throw this.opts.signal?.aborted ? this.failure(file, e) : this.truncated(file, loaded, total, e);
    }
    // A body longer than Content-Length is a compressed transfer the runtime decoded (browsers hide
    // Content-Encoding from cross-origin code); a shorter one is a dropped connection.
    if (total !== null && loaded < total) {
      this.overallLoaded -= loaded;
      throw this.truncated(file, loaded, total);
    }
    return new Blob(chunks);
  }

  private truncated(file: string, loaded: number, total: number | null, cause?: unknown): Error {
    const reason = cause instanceof Error ? `connection lost: ${cause.message}` : 'connection lost';
    return new Error(
      `the download of ${this.id}/${file} stopped after ${loaded} of ${total ?? 'unknown'} bytes (${reason}). Try again: files already downloaded are kept and the next attempt resumes from them.`,
      { cause },
    );
  }

  private report(file: string, loaded: number, total: number | null) {
    if (!this.opts.onProgress) return;
    const pending = this.pendingSizes.slice(1);
    const overallTotal =
      this.sizesKnown && total !== null && pending.every((s) => s !== null)
        ? this.overallLoaded - loaded + total + pending.reduce<number>((a, s) => a + s!, 0)
        : null;
    this.opts.onProgress({ file, loaded, total, overallLoaded: this.overallLoaded, overallTotal });
  }

  private failure(file: string, error: unknown): Error {
    if (this.opts.signal?.aborted) {
      return new Error(`the download of ${this.id} was cancelled while fetching ${file}; files already downloaded are kept for the next attempt.`, { cause: error });
    }
    return new Error(
      `could not reach the Hub at ${this.endpoint} for ${this.id}/${file} (${(error as Error)?.message ?? String(error)}); check the connection. Files already downloaded are kept and the next attempt resumes from them.`,
      { cause: error },
    );
  }

  private async statusError(file: string, response: Response): Promise<Error> {
    const code = response.headers.get('X-Error-Code');
    const hubMessage = response.headers.get('X-Error-Message') ?? (await response.text().catch(() => '')).slice(0, 200);
    const detail = hubMessage ? ` (the Hub says: ${hubMessage.trim()})` : '';
    if (code === 'GatedRepo') {
      return new Error(
        `${this.repo} is gated${detail}: accept its conditions on its Hub page (${this.endpoint}/${this.repo}) and provide an access token${this.opts.token ? ' of the account that accepted them' : ''}.`,
      );
    }
    if (code === 'RepoNotFound' || code === 'RevisionNotFound' || (response.status === 404 && file === 'config.json')) {
      return new Error(
        `the model ${this.repo} was not found on the Hub, or revision ${this.revision} does not exist${detail}: check the id${this.opts.token ? '' : ' (a private model also needs an access token)'}.`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      return new Error(
        `${this.repo} is gated or private (HTTP ${response.status})${detail}: ${this.opts.token ? 'the access token was refused; check that it is valid and that its account' : 'accept its conditions on its Hub page, or ask for access, and provide an access token from an account that'} can read the model.`,
      );
    }
    return new Error(`the Hub answered HTTP ${response.status} for ${this.id}/${file}${detail}; try again later.`);
  }
}

/** Whether a 404 is about the repository or revision rather than the file. */
function isRepoError(response: Response): boolean {
  const code = response.headers.get('X-Error-Code');
  return code === 'RepoNotFound' || code === 'RevisionNotFound';
}

function contentLength(response: Response): number | null {
  const header = response.headers.get('X-Linked-Size') ?? response.headers.get('Content-Length');
  const n = header === null ? NaN : Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function shardNames(id: string, indexText: string): string[] {
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(indexText) as { weight_map?: unknown }).weight_map;
  } catch {
    weightMap = undefined;
  }
  const shards = weightMap && typeof weightMap === 'object' ? Object.values(weightMap) : [];
  if (shards.length === 0 || !shards.every((s) => typeof s === 'string' && !s.includes('..'))) {
    throw new Error(`${id}: model.safetensors.index.json has no valid weight_map of shard files; the repository's checkpoint is broken, try another revision.`);
  }
  return [...new Set(shards as string[])];
}
