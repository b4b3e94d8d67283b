import { createHash, timingSafeEqual } from 'node:crypto';
import type { MetricsAuthOptions } from '../interfaces/metrics-module-options.interface.js';

/**
 * Checks the Authorization header against the configured credentials. Both sides are hashed first so
 * the comparison takes the same time whatever the length or content of what the client sent.
 */
export function isAuthorized(
  auth: MetricsAuthOptions | undefined,
  header: string | undefined,
): boolean {
  if (!auth) return true;
  if (typeof header !== 'string') return false;
  const separator = header.indexOf(' ');
  if (separator === -1) return false;
  const scheme = header.slice(0, separator).toLowerCase();
  const credentials = header.slice(separator + 1).trim();
  if ('bearerToken' in auth) {
    return scheme === 'bearer' && sameSecret(credentials, auth.bearerToken);
  }
  if (scheme !== 'basic') return false;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  // Evaluate both comparisons so a wrong user name takes as long as a wrong password.
  const userMatches = sameSecret(decoded.slice(0, colon), auth.username);
  const passwordMatches = sameSecret(decoded.slice(colon + 1), auth.password);
  return userMatches && passwordMatches;
}

/** The WWW-Authenticate challenge a 401 carries, so clients know which scheme to use. */
export function authChallenge(auth: MetricsAuthOptions): string {
  return 'bearerToken' in auth
    ? 'Bearer realm="metrics"'
    : 'Basic realm="metrics", charset="UTF-8"';
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
