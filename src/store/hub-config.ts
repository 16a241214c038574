/**
 * A Hub model's config.json, fetched alone (a few hundred bytes), so its size can be judged before
 * its weights are downloaded.
 */
import { parseModelConfig } from '../model/config';
import { DEFAULT_HUB_ENDPOINT } from '../model/hub';
import type { ModelSpec } from '../model/spec';

export interface HubConfigRequest {
  readonly repo: string;
  readonly revision: string;
  readonly endpoint?: string;
  readonly token?: string;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

export function configUrl(endpoint: string, repo: string, revision: string): string {
  const path = [...repo.split('/'), 'resolve', revision, 'config.json'].map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${path}`;
}

export async function fetchHubConfig({ repo, revision, endpoint = DEFAULT_HUB_ENDPOINT, token, signal, fetch: fetchFn = globalThis.fetch.bind(globalThis) }: HubConfigRequest): Promise<ModelSpec> {
  const id = `${repo}@${revision}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+$/.test(repo)) {
    throw new Error(`"${repo}" is not a Hugging Face model id: write it as organization/name, e.g. HuggingFaceTB/SmolLM2-135M.`);
  }
  let response: Response;
  try {
    response = await fetchFn(configUrl(endpoint, repo, revision), { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new Error(`The Hub could not be reached for ${id}'s config.json (${error instanceof Error ? error.message : String(error)}); check the connection and try again.`);
  }
  if (!response.ok) {
    const code = response.headers.get('X-Error-Code');
    await response.body?.cancel();
    if (response.status === 401 || response.status === 403 || code === 'GatedRepo') {
      throw new Error(`${id} is gated or private (HTTP ${response.status}): accept its terms on the Hub and paste an access token, then check again.`);
    }
    if (response.status === 404) {
      throw new Error(
        code === 'RevisionNotFound' ? `${id}: the revision "${revision}" was not found on the Hub.` : `${id} was not found on the Hub, or it has no config.json: check the model id.`,
      );
    }
    throw new Error(`The Hub answered HTTP ${response.status} for ${id}'s config.json; try again later.`);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new Error(`${id}'s config.json is not valid JSON.`);
  }
  return parseModelConfig(json, `${id} config.json`);
}
