/**
 * A local stand-in for the Hub's dataset viewer API (/splits and /rows, see dataset-viewer.ts) on
 * 127.0.0.1, for tests. It serves SST-2, TREC and TweetEval emotion shaped like the real ones (the presets' dataset
 * ids, configs, splits and columns), with a few rows the loader must skip, plus datasets that fail
 * the ways the real service does.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type ViewerRow = { row: Record<string, unknown>; truncated_cells: string[] };

/** SST-2 train: 250 rows (three pages), of which rows 7 and 21 have no text, 13 is unlabelled, 42 is truncated. */
export const SST2_SKIPPED = [7, 13, 21, 42];
function sst2Train(): ViewerRow[] {
  return Array.from({ length: 250 }, (_, i) => {
    const label = i === 13 ? -1 : i % 2;
    const sentence = i === 7 ? '' : i === 21 ? '   ' : `row ${i}: the film was ${label === 1 ? 'great' : 'dull'}`;
    return { row: { sentence, label, idx: i }, truncated_cells: i === 42 ? ['sentence'] : [] };
  });
}

function trecSplit(size: number, name: string): ViewerRow[] {
  return Array.from({ length: size }, (_, i) => ({ row: { text: `${name} question ${i}?`, coarse_label: i % 6, fine_label: i % 47 }, truncated_cells: [] }));
}

const EMOTIONS = ['angry', 'happy', 'hopeful', 'sorry'];
function emotionSplit(size: number, name: string): ViewerRow[] {
  return Array.from({ length: size }, (_, i) => ({ row: { text: `${name} tweet ${i}: so ${EMOTIONS[i % 4]} today`, label: i % 4 }, truncated_cells: [] }));
}

const DATASETS: Record<string, Record<string, Record<string, ViewerRow[]>>> = {
  'nyu-mll/glue': { sst2: { train: sst2Train(), validation: [], test: [] }, cola: { train: [] } },
  'CogComp/trec': { default: { train: trecSplit(130, 'train'), test: trecSplit(40, 'test') } },
  'cardiffnlp/tweet_eval': { emotion: { train: emotionSplit(60, 'train'), validation: emotionSplit(20, 'validation'), test: emotionSplit(20, 'test') } },
};
const FEATURES: Record<string, string[]> = {
  'nyu-mll/glue': ['idx', 'sentence', 'label'],
  'CogComp/trec': ['text', 'coarse_label', 'fine_label'],
  'cardiffnlp/tweet_eval': ['text', 'label'],
};

/** Datasets that fail as the real viewer does: status, X-Error-Code and error message. */
const FAILING: Record<string, [number, string, string]> = {
  'org/missing': [404, 'DatasetNotFoundError', "The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication."],
  'org/gated': [401, 'ExternalUnauthenticatedError', 'The dataset does not exist, or is not accessible without authentication (private or gated).'],
  'org/no-viewer': [501, 'DatasetViewerDisabledError', 'The dataset viewer has been disabled on this dataset.'],
};

/** More requests than any test needs: a loader that loops fails instead of hanging. */
const MAX_REQUESTS = 2000;

export interface FakeViewer {
  readonly endpoint: string;
  /** Each request's path and query, in order; tests clear it. */
  requests: string[];
  /** "split/offset" keys whose next /rows request answers 503 once. */
  readonly failOnce: Set<string>;
  close(): Promise<void>;
}

export async function startFakeViewer(): Promise<FakeViewer> {
  const state = { requests: [] as string[], failOnce: new Set<string>() };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    state.requests.push(req.url ?? '');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      // As the real viewer does, so the app on another origin (the browser tests) can read the answers.
      res.writeHead(status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'X-Error-Code', ...headers });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, code: string, message: string) => json(status, { error: message }, { 'X-Error-Code': code });
    if (state.requests.length > MAX_REQUESTS) return error(500, 'TooManyRequests', 'the loader loops');
    const url = new URL(req.url ?? '/', 'http://x');
    const q = (name: string) => url.searchParams.get(name) ?? '';
    const failing = FAILING[q('dataset')];
    if (failing) return error(...failing);
    const dataset = DATASETS[q('dataset')];
    if (!dataset) return error(404, 'DatasetNotFoundError', 'The dataset does not exist.');
    if (url.pathname === '/splits') {
      const splits = Object.entries(dataset).flatMap(([config, s]) => Object.keys(s).map((split) => ({ dataset: q('dataset'), config, split })));
      return json(200, { splits, pending: [], failed: [] });
    }
    if (url.pathname !== '/rows') return error(404, 'UnexpectedRoute', 'Not found');
    const rows = dataset[q('config')]?.[q('split')];
    if (!rows) return error(404, 'ConfigNamesError', 'Not found.');
    const offset = Number(q('offset'));
    const length = Number(q('length'));
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(length) || length < 1 || length > 100) {
      return error(422, 'InvalidParameter', "Parameter 'length' must be positive and at most 100, 'offset' a non-negative integer");
    }
    if (state.failOnce.delete(`${q('split')}/${offset}`)) return error(503, 'ResponseNotReady', 'The server is busier than usual.');
    const features = FEATURES[q('dataset')]!.map((name, feature_idx) => ({ feature_idx, name, type: { _type: 'Value' } }));
    const page = rows.slice(offset, offset + length).map((r, i) => ({ row_idx: offset + i, ...r }));
    json(200, { features, rows: page, num_rows_total: rows.length, num_rows_per_page: 100, partial: false });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}
