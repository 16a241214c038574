import { describe, expect, it } from 'vitest';
import { SMOLLM2_135M } from '../model/known-configs';
import { configUrl, fetchHubConfig } from './hub-config';

/** A stand-in for fetch that answers like the Hub and records the URLs asked for. */
function hub(status: number, body: string, headers: Record<string, string> = {}) {
  const urls: string[] = [];
  const fetch = (async (url: string) => {
    urls.push(url);
    return new Response(body, { status, headers });
  }) as unknown as typeof globalThis.fetch;
  return { urls, fetch };
}

describe("a Hub model's config.json alone", () => {
  it('is fetched from resolve/<revision>/config.json and parsed into the model spec', async () => {
    const { urls, fetch } = hub(200, JSON.stringify(SMOLLM2_135M));
    const spec = await fetchHubConfig({ repo: 'HuggingFaceTB/SmolLM2-135M', revision: 'main', endpoint: 'http://hub.test/', fetch });
    expect(urls).toEqual(['http://hub.test/HuggingFaceTB/SmolLM2-135M/resolve/main/config.json']);
    expect(spec).toMatchObject({ numLayers: 30, numHeads: 9, hiddenSize: 576 });
  });

  it("says what went wrong: an unknown model, a gated one, a missing revision, not JSON, an unsupported architecture", async () => {
    const ask = (status: number, body: string, headers?: Record<string, string>, revision = 'main') =>
      fetchHubConfig({ repo: 'org/model', revision, endpoint: 'http://hub.test', fetch: hub(status, body, headers).fetch });
    await expect(ask(404, 'Repository not found', { 'X-Error-Code': 'RepoNotFound' })).rejects.toThrow('org/model@main was not found on the Hub');
    await expect(ask(401, 'restricted', { 'X-Error-Code': 'GatedRepo' })).rejects.toThrow('org/model@main is gated or private (HTTP 401)');
    await expect(ask(404, 'Invalid rev id', { 'X-Error-Code': 'RevisionNotFound' }, 'v9')).rejects.toThrow('the revision "v9" was not found');
    await expect(ask(200, '<html>')).rejects.toThrow("org/model@main's config.json is not valid JSON");
    await expect(ask(200, JSON.stringify({ ...SMOLLM2_135M, architectures: ['MistralForCausalLM'] }))).rejects.toThrow(/MistralForCausalLM/);
    await expect(fetchHubConfig({ repo: 'not a model id', revision: 'main' })).rejects.toThrow('is not a Hugging Face model id');
  });

  it('encodes each part of the path', () => {
    expect(configUrl('http://hub.test', 'org/model', 'refs/pr/1')).toBe('http://hub.test/org/model/resolve/refs%2Fpr%2F1/config.json');
  });
});
