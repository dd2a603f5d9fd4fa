/**
 * Parse a `WWW-Authenticate` challenge as registries send it:
 * `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"`.
 */

export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

const PARAM = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;

/** The scheme (lowercased) and parameters of a challenge, or undefined. */
export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const scheme = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  if (!scheme) return undefined;
  const params: Record<string, string> = {};
  for (const match of (space < 0 ? '' : trimmed.slice(space + 1)).matchAll(PARAM)) {
    const [, key, quoted, bare] = match;
    if (key) params[key.toLowerCase()] = (quoted ?? bare ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme, params };
}
