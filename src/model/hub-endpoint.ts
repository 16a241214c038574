/**
 * Which Hub endpoint the model requests go to, and whether the access token goes with them. A token
 * is a credential for huggingface.co: it goes to the official Hub, or to an endpoint the user trusted
 * in the page, never to one that a link (`?hub=`) only named, and never unencrypted to another computer.
 */
import { DEFAULT_HUB_ENDPOINT } from './hub';

export const OFFICIAL_HUB_ORIGIN = new URL(DEFAULT_HUB_ENDPOINT).origin;

export interface HubEndpoint {
  /** Without a trailing slash: request paths are appended to it. */
  readonly url: string;
  readonly origin: string;
}

/**
 * Where a token typed in the page may go:
 * - official: the Hugging Face Hub;
 * - trusted: another endpoint the user trusted in the page;
 * - untrusted: another endpoint, not trusted (yet): requests go there without the token;
 * - unencrypted: plain http to another computer, which anyone on the network could read: never.
 */
export type TokenRule = 'official' | 'trusted' | 'untrusted' | 'unencrypted';

/** The endpoint as typed or linked; throws a message that names the problem. */
export function parseHubEndpoint(text: string): HubEndpoint {
  const typed = text.trim();
  const example = `write a full address such as ${DEFAULT_HUB_ENDPOINT}`;
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    throw new Error(`the Hub endpoint "${typed}" is not an address: ${example}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the Hub endpoint "${typed}" is not a web address (https://…): ${example}.`);
  // A user name in front of the host ("https://huggingface.co@other.example") hides where requests really go.
  if (url.username || url.password) throw new Error(`the Hub endpoint "${typed}" holds a user name or password before its host ${url.host}: remove them, ${example}.`);
  if (url.search || url.hash) throw new Error(`the Hub endpoint "${typed}" has a query or fragment (?…, #…): remove it, ${example}.`);
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, origin: url.origin };
}

/** `trusted` holds the origins the user trusted in the page. */
export function tokenRule(endpoint: HubEndpoint, trusted: readonly string[]): TokenRule {
  if (endpoint.origin === OFFICIAL_HUB_ORIGIN) return 'official';
  if (!encryptedOrLocal(endpoint.origin)) return 'unencrypted';
  return trusted.includes(endpoint.origin) ? 'trusted' : 'untrusted';
}

/** The token to send to `endpoint`: undefined unless the rule lets it go there. */
export function tokenFor(endpoint: HubEndpoint, token: string, trusted: readonly string[]): string | undefined {
  const rule = tokenRule(endpoint, trusted);
  return (rule === 'official' || rule === 'trusted') && token !== '' ? token : undefined;
}

function encryptedOrLocal(origin: string): boolean {
  const { protocol, hostname } = new URL(origin);
  return protocol === 'https:' || hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
