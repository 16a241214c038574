import { hubEndpointStatus } from '../../store/hub-access';
import { useModelStore } from '../../store/model-store';

/**
 * Inside another site's frame a click on "Trust" could be tricked (clickjacking), and a meta policy
 * cannot forbid framing (frame-ancestors), so the page offers that button only when it is the top window.
 */
const framed = globalThis.window !== undefined && window.top !== window.self;

/**
 * Next to the token field: where the token goes, which is the endpoint in use, and the buttons that
 * trust another endpoint with it or revoke that. A `?hub=` link only fills the endpoint field: the
 * token goes there once the user trusts it here.
 */
export function HubTokenNote({ id }: { id: string }) {
  const endpoint = useModelStore((s) => s.hubEndpoint);
  const trusted = useModelStore((s) => s.trustedHubOrigins);
  const { trustHubEndpoint, distrustHubOrigin } = useModelStore.getState();
  const status = hubEndpointStatus(endpoint, trusted);

  const note = (() => {
    switch (status.state) {
      case 'invalid':
      case 'blocked':
        return <span className="error-text">The endpoint cannot be used: {status.message}</span>;
      case 'official':
        return <>The token goes only to {status.endpoint.origin}, the Hugging Face Hub.</>;
      case 'trusted':
        return (
          <>
            The token goes to {status.endpoint.url}, which you trusted in this browser.{' '}
            <button type="button" className="secondary" onClick={() => distrustHubOrigin(status.endpoint.origin)}>
              Stop trusting {status.endpoint.origin}
            </button>
          </>
        );
      case 'untrusted':
        return (
          <>
            The token is not sent to {status.endpoint.url}: it is not the Hugging Face Hub, and you have not trusted it. Trust it only if it is your own
            mirror.{' '}
            {framed ? (
              <>Open ABFT Studio in a tab of its own to trust it.</>
            ) : (
              <button type="button" className="secondary" onClick={trustHubEndpoint}>
                Trust {status.endpoint.origin} with the token
              </button>
            )}
          </>
        );
      case 'unencrypted':
        return <>The token is not sent to {status.endpoint.url}: the connection is not encrypted (http), so anyone on the network could read it. Use an https address.</>;
    }
  })();

  return (
    <p id={id} className="hub-token-note" data-testid="hub-token-endpoint" data-state={status.state}>
      {note}
    </p>
  );
}
