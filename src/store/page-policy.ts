/**
 * Whether this page's Content-Security-Policy lets it connect to an address, so the page can say
 * why an endpoint cannot be used instead of failing with "Failed to fetch". The production build
 * writes the policy as a meta tag (vite.config.ts); a page without one (the dev server) connects
 * anywhere. Matches the source expressions CSP Level 3 defines for connect-src, paths included.
 */

/** The connect-src sources of the page's meta policy (default-src when it has none), or null without a policy. */
export function pageConnectSources(doc: Document | undefined = globalThis.document): readonly string[] | null {
  const policy = doc?.querySelector('meta[http-equiv="Content-Security-Policy" i]')?.getAttribute('content');
  if (!policy) return null;
  const directives = new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name.toLowerCase(), sources] as const),
  );
  return directives.get('connect-src') ?? directives.get('default-src') ?? null;
}

/** Whether `sources` (null: no policy) allow a connection from a page at origin `self` (null: none) to `address`. */
export function connectAllowed(sources: readonly string[] | null, address: string, self: string | null): boolean {
  if (sources === null) return true;
  const url = new URL(address);
  const page = self === null ? null : new URL(self);
  return sources.some((source) => sourceMatches(source, url, page));
}

const HOST_SOURCE = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*|(?:\*\.)?[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d+|\*))?(\/.*)?$/i;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

function sourceMatches(source: string, url: URL, self: URL | null): boolean {
  const lower = source.toLowerCase();
  if (lower === "'self'") return self !== null && (url.origin === self.origin || (self.protocol === 'http:' && url.protocol === 'https:' && url.host === self.host));
  if (lower.startsWith("'")) return false;
  if (lower === '*') return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === self?.protocol;
  if (/^[a-z][a-z0-9+.-]*:$/.test(lower)) return schemeMatches(lower, url.protocol);
  const host = HOST_SOURCE.exec(lower);
  if (!host) return false;
  const [, scheme, hostPattern, port, path] = host;
  if (!schemeMatches(scheme !== undefined ? `${scheme}:` : (self?.protocol ?? 'https:'), url.protocol)) return false;
  if (!hostMatches(hostPattern, url.hostname)) return false;
  if (port !== '*' && (port ?? DEFAULT_PORTS[url.protocol]) !== (url.port || DEFAULT_PORTS[url.protocol])) return false;
  if (path === undefined || path === '/') return true;
  return path.endsWith('/') ? url.pathname.startsWith(path) : url.pathname === path;
}

/** A source's scheme also allows its secure variant (http: allows https:). */
function schemeMatches(sourceScheme: string, urlScheme: string): boolean {
  return sourceScheme === urlScheme || (sourceScheme === 'http:' && urlScheme === 'https:') || (sourceScheme === 'ws:' && urlScheme === 'wss:');
}

function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  return pattern === hostname;
}
