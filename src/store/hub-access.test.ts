import { describe, expect, it } from 'vitest';
import { hubEndpointStatus, hubRequest } from './hub-access';

describe('the endpoint and token of a Hub request', () => {
  it('sends the typed token to the official Hub only, until another endpoint is trusted', () => {
    expect(hubRequest('https://huggingface.co', ' hf_x ', [])).toEqual({ endpoint: 'https://huggingface.co', token: 'hf_x', withheldNote: '' });
    expect(hubRequest('http://127.0.0.1:9/hub/', 'hf_x', [])).toEqual({
      endpoint: 'http://127.0.0.1:9/hub',
      token: undefined,
      withheldNote: ' The access token was not sent to http://127.0.0.1:9: you have not trusted it with the token (see next to the token field).',
    });
    expect(hubRequest('http://127.0.0.1:9', 'hf_x', ['http://127.0.0.1:9']).token).toBe('hf_x');
    expect(hubRequest('http://mirror.example', 'hf_x', ['http://mirror.example']).withheldNote).toContain('the connection is not encrypted (http)');
    expect(hubRequest('http://127.0.0.1:9', '', []).withheldNote).toBe('');
  });

  it("refuses an endpoint that is not an address, or that the page's policy does not let it reach", () => {
    expect(() => hubRequest('not a url', 'hf_x', [])).toThrow('the Hub endpoint "not a url" is not an address');
    const policy = ["'self'", 'https://huggingface.co', 'https://*.hf.co'];
    expect(hubEndpointStatus('https://huggingface.co', [], policy).state).toBe('official');
    const blocked = hubEndpointStatus('https://mirror.example', ['https://mirror.example'], policy);
    expect(blocked).toMatchObject({ state: 'blocked' });
    expect(blocked.state === 'blocked' && blocked.message).toContain(
      "this page's Content-Security-Policy does not let it connect to https://mirror.example: this build of ABFT Studio reaches only the Hugging Face Hub. To use another endpoint, build the app with ABFT_CONNECT_SRC=\"https://mirror.example\"",
    );
  });
});
