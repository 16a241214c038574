/**
 * The Hub endpoint in the Model panel's field, what the page says about it next to the token
 * field, and the endpoint and token the requests get. The one place that decides whether the token
 * is sent (src/model/hub-endpoint.ts holds the rule).
 */
import { parseHubEndpoint, tokenFor, tokenRule, type HubEndpoint, type TokenRule } from '../model/hub-endpoint';
import { connectAllowed, pageConnectSources } from './page-policy';

export type HubEndpointStatus =
  | { readonly state: 'invalid'; readonly message: string }
  /** The page's Content-Security-Policy refuses connections to the endpoint. */
  | { readonly state: 'blocked'; readonly endpoint: HubEndpoint; readonly message: string }
  | { readonly state: TokenRule; readonly endpoint: HubEndpoint };

export interface HubRequest {
  readonly endpoint: string;
  readonly token: string | undefined;
  /** A note for failure messages when a token was typed but not sent; empty otherwise. */
  readonly withheldNote: string;
}

/** `?hub=<url>` prefills the endpoint field (a mirror, or the tests' fake Hub); it is never trusted with the token for that. */
export function linkedHubEndpoint(): string | undefined {
  return new URLSearchParams(globalThis.location?.search ?? '').get('hub') ?? undefined;
}

export function hubEndpointStatus(text: string, trusted: readonly string[], connectSources = pageConnectSources()): HubEndpointStatus {
  let endpoint: HubEndpoint;
  try {
    endpoint = parseHubEndpoint(text);
  } catch (error) {
    return { state: 'invalid', message: error instanceof Error ? error.message : String(error) };
  }
  if (!connectAllowed(connectSources, `${endpoint.url}/`, globalThis.location?.origin ?? null)) {
    return {
      state: 'blocked',
      endpoint,
      message:
        `this page's Content-Security-Policy does not let it connect to ${endpoint.origin}: this build of ABFT Studio reaches only the Hugging Face Hub. ` +
        `To use another endpoint, build the app with ABFT_CONNECT_SRC="${endpoint.origin}" (README, Security), or run it with npm start.`,
    };
  }
  return { state: tokenRule(endpoint, trusted), endpoint };
}

/** The endpoint and token for the next request; throws the status's message when the endpoint cannot be used. */
export function hubRequest(text: string, typedToken: string, trusted: readonly string[]): HubRequest {
  const status = hubEndpointStatus(text, trusted);
  if (status.state === 'invalid' || status.state === 'blocked') throw new Error(status.message);
  const token = typedToken.trim();
  const sent = tokenFor(status.endpoint, token, trusted);
  const why = status.state === 'unencrypted' ? 'the connection is not encrypted (http)' : 'you have not trusted it with the token (see next to the token field)';
  const withheldNote = token !== '' && sent === undefined ? ` The access token was not sent to ${status.endpoint.origin}: ${why}.` : '';
  return { endpoint: status.endpoint.url, token: sent, withheldNote };
}
