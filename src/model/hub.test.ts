import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readText } from './files';
import { downloadModel, memoryModelCache, type DownloadProgress, type ModelCache } from './hub';
import { tinyTokenizerFiles } from './testing/tiny-tokenizer';

/** Deterministic bytes, big enough to arrive in several chunks. */
function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

const tokenizer = tinyTokenizerFiles('gpt2').files;
const common = {
  'config.json': JSON.stringify({ model_type: 'gpt2', n_layer: 1 }),
  'tokenizer.json': tokenizer['tokenizer.json'],
  'tokenizer_config.json': tokenizer['tokenizer_config.json'],
};
const REPOS: Record<string, Record<string, Uint8Array | string>> = {
  'org/tiny': { ...common, 'model.safetensors': bytes(300_000, 1) },
  'org/sharded': {
    ...common,
    'generation_config.json': '{}',
    'model.safetensors.index.json': JSON.stringify({
      metadata: { total_size: 3 },
      weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' },
    }),
    'model-00001-of-00002.safetensors': bytes(70_000, 2),
    'model-00002-of-00002.safetensors': bytes(50_000, 3),
  },
  'org/flaky': { ...common, 'model.safetensors': bytes(200_000, 4) },
  'org/pytorch': { ...common, 'pytorch_model.bin': bytes(1000, 5) },
  'org/gated': { ...common },
  'org/private': { ...common, 'model.safetensors': bytes(10, 6) },
  'org/redirected': { ...common },
};
/** The weights of org/redirected, which the Hub sends on to another origin, as huggingface.co does to its CDN. */
const CDN_WEIGHTS = bytes(1000, 7);
const TOKEN = 'hf_test_token';
const MAX_REQUESTS = 500;

let server: Server;
let endpoint: string;
let cdn: Server;
let cdnEndpoint: string;
let cdnAuthorizations: (string | undefined)[] = [];
let requests: string[] = [];
let truncateNext = new Set<string>();

function handle(req: IncomingMessage, res: ServerResponse) {
  requests.push(`${req.method} ${req.url}`);
  if (requests.length > MAX_REQUESTS) return res.writeHead(500).end('too many requests: a download loops');
  const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(decodeURIComponent(req.url ?? ''));
  const [, repo = '', revision = '', file = ''] = match ?? [];
  const error = (status: number, code: string | null, message: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain', ...(code ? { 'X-Error-Code': code, 'X-Error-Message': message } : {}) });
    res.end(req.method === 'HEAD' ? undefined : message);
  };
  if (repo === 'org/gated') return error(401, 'GatedRepo', 'Access to model org/gated is restricted.');
  if (repo === 'org/private' && req.headers.authorization !== `Bearer ${TOKEN}`) return error(401, null, 'Unauthorized');
  if (repo === 'org/missing-auth') return error(401, 'RepoNotFound', 'Repository not found');
  if (repo === 'org/redirected' && file === 'model.safetensors') return res.writeHead(302, { Location: `${cdnEndpoint}/xet-bridge/${repo}` }).end();
  const files = REPOS[repo];
  if (!files) return error(404, null, 'Not Found');
  if (revision !== 'main') return error(404, 'RevisionNotFound', 'Invalid rev id: ' + revision);
  const content = files[file];
  if (content === undefined) return error(404, 'EntryNotFound', 'Entry not found');
  const body = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  res.writeHead(200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' });
  if (req.method === 'HEAD') return res.end();
  if (truncateNext.delete(`${repo}/${file}`)) {
    res.write(body.subarray(0, 1000));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  res.end(body);
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cdn = createServer((req, res) => {
    cdnAuthorizations.push(req.headers.authorization);
    res.writeHead(200, { 'Content-Length': CDN_WEIGHTS.length }).end(req.method === 'HEAD' ? undefined : CDN_WEIGHTS);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
  cdnEndpoint = `http://localhost:${(cdn.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [server, cdn]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});
beforeEach(() => {
  requests = [];
  cdnAuthorizations = [];
  truncateNext = new Set();
});

const download = (repo: string, cache: ModelCache, extra: Partial<Parameters<typeof downloadModel>[1]> = {}) =>
  downloadModel(repo, { endpoint, cache, ...extra });

describe('downloadModel', () => {
  it('downloads a model with progress and then loads it offline from the cache', async () => {
    const cache = memoryModelCache();
    const events: DownloadProgress[] = [];
    const folder = await download('org/tiny', cache, { onProgress: (p) => events.push(p) });
    expect(folder.label).toBe('Hub: org/tiny@main');
    expect([...folder.names()].sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(await readText(folder.get('config.json')!)).toBe(REPOS['org/tiny']!['config.json']);
    const weights = folder.get('model.safetensors')!;
    expect(weights.size).toBe(300_000);
    expect(await weights.read(1000, 5)).toEqual(bytes(300_000, 1).subarray(1000, 1005));

    const totalBytes = Object.values(REPOS['org/tiny']!).reduce((n, c) => n + (typeof c === 'string' ? Buffer.byteLength(c) : c.length), 0);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.overallLoaded).toBeGreaterThanOrEqual(events[i - 1]!.overallLoaded);
      if (events[i]!.file === events[i - 1]!.file) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
    }
    const weightEvents = events.filter((e) => e.file === 'model.safetensors');
    expect(weightEvents.length).toBeGreaterThan(1);
    expect(weightEvents.every((e) => e.total === 300_000 && e.overallTotal === totalBytes)).toBe(true);
    expect(events.at(-1)).toMatchObject({ loaded: 300_000, overallLoaded: totalBytes, overallTotal: totalBytes });

    requests = [];
    const again = await download('org/tiny', cache, { fetch: () => Promise.reject(new Error('offline')) });
    expect(requests).toEqual([]);
    expect(await again.get('model.safetensors')!.read(0, 4)).toEqual(bytes(4, 1));
  });

  it('downloads each shard of a sharded checkpoint once', async () => {
    const folder = await download('org/sharded', memoryModelCache());
    expect([...folder.names()].sort()).toEqual(
      ['config.json', 'generation_config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json'].sort(),
    );
    expect(requests.filter((r) => r === 'GET /org/sharded/resolve/main/model-00001-of-00002.safetensors')).toHaveLength(1);
  });

  it('never caches a truncated file, keeps the finished ones and resumes', async () => {
    const cache = memoryModelCache();
    truncateNext.add('org/flaky/model.safetensors');
    await expect(download('org/flaky', cache)).rejects.toThrow(
      /the download of org\/flaky@main\/model\.safetensors stopped after 1000 of 200000 bytes \(connection lost.*next attempt resumes from them/,
    );
    expect(await cache.get('org/flaky@main/model.safetensors')).toBeUndefined();
    expect(await cache.get('org/flaky@main/config.json')).toBeDefined();

    requests = [];
    const folder = await download('org/flaky', cache);
    expect(folder.get('model.safetensors')!.size).toBe(200_000);
    expect(requests.some((r) => r.endsWith('/config.json'))).toBe(false);
  });

  it('reports a body shorter than its Content-Length even when the stream ends cleanly', async () => {
    const shortBody: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('model.safetensors') || init?.method === 'HEAD') return response;
      return new Response(new Uint8Array(10), { status: 200, headers: { 'Content-Length': '300000' } });
    };
    const cache = memoryModelCache();
    await expect(download('org/tiny', cache, { fetch: shortBody })).rejects.toThrow(
      'the download of org/tiny@main/model.safetensors stopped after 10 of 300000 bytes (connection lost)',
    );
    expect(await cache.get('org/tiny@main/model.safetensors')).toBeUndefined();
  });

  it('cancels when the signal aborts', async () => {
    const controller = new AbortController();
    const onProgress = (p: DownloadProgress) => {
      if (p.file === 'model.safetensors') controller.abort();
    };
    await expect(download('org/tiny', memoryModelCache(), { signal: controller.signal, onProgress })).rejects.toThrow(
      'the download of org/tiny@main was cancelled while fetching model.safetensors',
    );
  });

  it('sends the access token and reads a private model with it', async () => {
    await expect(download('org/private', memoryModelCache())).rejects.toThrow(/org\/private is gated or private \(HTTP 401\).*provide an access token/);
    const folder = await download('org/private', memoryModelCache(), { token: TOKEN });
    expect(folder.get('model.safetensors')!.size).toBe(10);
  });

  it('sends the token to the endpoint only, not on to the other origin a file is redirected to', async () => {
    const folder = await download('org/redirected', memoryModelCache(), { token: TOKEN });
    expect(await folder.get('model.safetensors')!.read(0, 1000)).toEqual(CDN_WEIGHTS);
    expect(cdnAuthorizations).toEqual([undefined, undefined]);
  });
});

describe('downloadModel errors', () => {
  const cache = memoryModelCache();
  it.each(['gpt2', 'org/name/extra', 'org/', '../x', 'org/na me'])('rejects the repo id %j before any request', async (repo) => {
    await expect(download(repo, cache)).rejects.toThrow(`"${repo}" is not a Hugging Face model id: write it as organization/name`);
    expect(requests).toEqual([]);
  });

  it('says an unknown model or revision was not found', async () => {
    await expect(download('org/unknown', cache)).rejects.toThrow(
      'the model org/unknown was not found on the Hub, or revision main does not exist',
    );
    await expect(download('org/missing-auth', cache)).rejects.toThrow(/the model org\/missing-auth was not found.*check the id/);
    await expect(download('org/tiny', cache, { revision: 'v9' })).rejects.toThrow(/revision v9 does not exist.*Invalid rev id: v9/);
  });

  it('says a gated model needs its conditions accepted and a token', async () => {
    await expect(download('org/gated', cache)).rejects.toThrow(
      /org\/gated is gated \(the Hub says: Access to model org\/gated is restricted\.\): accept its conditions on its Hub page .* and provide an access token/,
    );
  });

  it('says when the repository has only a PyTorch checkpoint', async () => {
    await expect(download('org/pytorch', cache)).rejects.toThrow(/org\/pytorch@main has only a PyTorch checkpoint \(pytorch_model\.bin\), no model\.safetensors/);
  });

  it('says the Hub could not be reached when fetch rejects', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    await expect(downloadModel('org/tiny', { endpoint: deadEndpoint, cache })).rejects.toThrow(
      /could not reach the Hub at http:\/\/127\.0\.0\.1:\d+ for org\/tiny@main\/config\.json .*check the connection\. Files already downloaded are kept/,
    );
  });
});
