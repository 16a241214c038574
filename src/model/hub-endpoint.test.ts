import { describe, expect, it } from 'vitest';
import { parseHubEndpoint, tokenFor, tokenRule } from './hub-endpoint';

const TOKEN = 'hf_secret';
const sentTo = (endpoint: string, trusted: readonly string[] = []) => tokenFor(parseHubEndpoint(endpoint), TOKEN, trusted);

describe('which Hub endpoint gets the access token', () => {
  it('the official Hub, however its address is written', () => {
    for (const endpoint of ['https://huggingface.co', 'https://huggingface.co/', 'https://HuggingFace.co', ' https://huggingface.co:443 ']) {
      expect(sentTo(endpoint), endpoint).toBe(TOKEN);
    }
  });

  it('no other endpoint until the user trusts its origin, and then only that origin', () => {
    expect(sentTo('https://mirror.example')).toBeUndefined();
    expect(sentTo('https://mirror.example/hf', ['https://mirror.example'])).toBe(TOKEN);
    expect(sentTo('https://mirror.example:8443', ['https://mirror.example'])).toBeUndefined();
    expect(sentTo('http://127.0.0.1:8080', ['http://127.0.0.1:8080'])).toBe(TOKEN);
    for (const lookalike of ['https://huggingface.co.evil.example', 'http://huggingface.co', 'https://huggingface.co:8443', 'https://hf.co']) {
      expect(sentTo(lookalike), lookalike).toBeUndefined();
    }
  });

  it('never plain http to another computer, even when trusted; loopback is fine', () => {
    expect(tokenRule(parseHubEndpoint('http://mirror.example'), ['http://mirror.example'])).toBe('unencrypted');
    expect(sentTo('http://mirror.example', ['http://mirror.example'])).toBeUndefined();
    for (const local of ['http://localhost:5000', 'http://127.0.0.1:5000', 'http://[::1]:5000']) expect(tokenRule(parseHubEndpoint(local), []), local).toBe('untrusted');
  });

  it('sends no empty token', () => {
    expect(tokenFor(parseHubEndpoint('https://huggingface.co'), '', [])).toBeUndefined();
  });

  it('refuses endpoints that are not plain web addresses, naming the problem', () => {
    expect(() => parseHubEndpoint('huggingface.co')).toThrow('the Hub endpoint "huggingface.co" is not an address: write a full address such as https://huggingface.co.');
    expect(() => parseHubEndpoint('javascript:alert(1)')).toThrow('is not a web address (https://…)');
    expect(() => parseHubEndpoint('https://huggingface.co@evil.example')).toThrow('holds a user name or password before its host evil.example');
    expect(() => parseHubEndpoint('https://mirror.example/?x=1')).toThrow('has a query or fragment');
    expect(parseHubEndpoint('https://mirror.example/hf//')).toEqual({ url: 'https://mirror.example/hf', origin: 'https://mirror.example' });
  });
});
