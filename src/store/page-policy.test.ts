import { describe, expect, it } from 'vitest';
import { connectAllowed } from './page-policy';

const SELF = 'https://app.example';
const allowed = (sources: string, url: string, self = SELF) => connectAllowed(sources.split(' '), url, self);

describe("the page's connect-src", () => {
  it('allows everything without a policy', () => {
    expect(connectAllowed(null, 'http://anything.example/', SELF)).toBe(true);
  });

  it("matches 'self', exact hosts, host wildcards and port wildcards", () => {
    const sources = "'self' https://huggingface.co https://*.hf.co http://127.0.0.1:*";
    expect(allowed(sources, 'https://app.example/assets/x.wasm')).toBe(true);
    expect(allowed(sources, 'https://huggingface.co/org/m/resolve/main/config.json')).toBe(true);
    expect(allowed(sources, 'https://cas-bridge.xethub.hf.co/xet-bridge-us/abc')).toBe(true);
    expect(allowed(sources, 'https://us.aws.cdn.hf.co/xet-bridge-us/abc')).toBe(true);
    expect(allowed(sources, 'http://127.0.0.1:41234/')).toBe(true);
    expect(allowed(sources, 'https://hf.co/')).toBe(false);
    expect(allowed(sources, 'https://huggingface.co.evil.example/')).toBe(false);
    expect(allowed(sources, 'https://huggingface.co:8443/')).toBe(false);
    expect(allowed(sources, 'http://huggingface.co/')).toBe(false);
    expect(allowed(sources, 'http://localhost:41234/')).toBe(false);
    expect(allowed(sources, 'https://evil.example/')).toBe(false);
  });

  it('follows the rest of CSP source matching: schemes, upgrades, default ports, paths, keywords', () => {
    expect(allowed('https:', 'https://any.example/')).toBe(true);
    expect(allowed('https:', 'http://any.example/')).toBe(false);
    expect(allowed('http://mirror.example', 'https://mirror.example/')).toBe(true);
    expect(allowed('mirror.example', 'https://mirror.example/')).toBe(true);
    expect(allowed('mirror.example:443', 'https://mirror.example/')).toBe(true);
    expect(allowed('https://mirror.example/hf/', 'https://mirror.example/hf/org/m')).toBe(true);
    expect(allowed('https://mirror.example/hf/', 'https://mirror.example/other')).toBe(false);
    expect(allowed("'none'", 'https://app.example/')).toBe(false);
    expect(allowed("'self'", 'http://127.0.0.1:4173/x', 'http://127.0.0.1:4173')).toBe(true);
  });
});
