/**
 * A stand-in for the Hugging Face Hub on loopback: serves model files at
 * /<org>/<name>/resolve/<revision>/<file> with the Hub's CORS and error headers, and counts every
 * request so tests can tell a cached load (no request) from a download, and every Authorization
 * header so they can tell where an access token went.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubOptions {
  /** Files by repo id; each is served at revision "main" only. */
  readonly models: Readonly<Record<string, Readonly<Record<string, Uint8Array | string>>>>;
  /** Repo ids that answer 401 GatedRepo, as the Hub does without an accepted token. */
  readonly gated?: readonly string[];
  /** Sends the second half of each .safetensors body this much later, so progress can be seen. */
  readonly weightsDelayMs?: number;
  /** Repo ids (also in `models`) whose .safetensors bodies stop halfway until the client gives up. */
  readonly stalled?: readonly string[];
  /** Answers each .safetensors request with a 302 to the same path at this URL, as the Hub sends weights to its CDN. */
  readonly redirectWeightsTo?: string;
}

export interface FakeHub {
  readonly url: string;
  /** "METHOD /path" of every request so far. */
  readonly requests: readonly string[];
  /** "METHOD /path: <Authorization header>" of every request that carried one. */
  readonly authorizations: readonly string[];
  close(): Promise<void>;
}

// A runaway retry loop in the app would otherwise spin until the test's timeout.
const MAX_REQUESTS = 500;
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Length, X-Error-Code',
  'Access-Control-Allow-Headers': 'Authorization',
};

export async function startFakeHub(opts: FakeHubOptions): Promise<FakeHub> {
  const requests: string[] = [];
  const authorizations: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== undefined) authorizations.push(`${req.method} ${req.url}: ${req.headers.authorization}`);
    if (requests.length > MAX_REQUESTS) return reply(res, 503, `fake Hub: more than ${MAX_REQUESTS} requests`);
    void serve(opts, req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

async function serve(opts: FakeHubOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'OPTIONS') return reply(res, 204);
  const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(new URL(req.url ?? '/', 'http://hub').pathname);
  if (!match) return reply(res, 404, 'Entry not found', 'EntryNotFound');
  const [, repo, revision, file] = match.map(decodeURIComponent);
  if (opts.gated?.includes(repo)) return reply(res, 401, `Access to model ${repo} is restricted. You must have access to it and be authenticated to access it.`, 'GatedRepo');
  const files = opts.models[repo];
  if (!files) return reply(res, 404, 'Repository not found', 'RepoNotFound');
  if (revision !== 'main') return reply(res, 404, `Invalid rev id: ${revision}`, 'RevisionNotFound');
  const content = files[file];
  if (content === undefined) return reply(res, 404, 'Entry not found', 'EntryNotFound');
  if (opts.redirectWeightsTo && file.endsWith('.safetensors')) {
    res.writeHead(302, { ...CORS, Location: `${opts.redirectWeightsTo}${req.url}` });
    return void res.end();
  }
  const body = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  res.writeHead(200, { ...CORS, 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.byteLength) });
  if (req.method === 'HEAD') return void res.end();
  const weights = file.endsWith('.safetensors');
  const delay = weights ? (opts.weightsDelayMs ?? 0) : 0;
  const stall = weights && !!opts.stalled?.includes(repo);
  if (delay === 0 && !stall) return void res.end(body);
  const half = Math.floor(body.byteLength / 2);
  res.write(body.subarray(0, half));
  if (stall) return;
  await new Promise((resolve) => setTimeout(resolve, delay));
  res.end(body.subarray(half));
}

function reply(res: ServerResponse, status: number, message = '', code?: string): void {
  res.writeHead(status, { ...CORS, 'Content-Type': 'text/plain', ...(code ? { 'X-Error-Code': code } : {}) });
  res.end(message);
}
