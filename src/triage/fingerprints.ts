import type { Alert } from '../intake/alert.js';

/** The fingerprints an alert needs records of: its own, plus those a resolve also ends. */
export function fingerprintsOf(alert: Alert): string[] {
  const own = [alert.fingerprint];
  if (alert.status !== 'resolved' || !alert.resolvesFingerprints) return own;
  return [...new Set([...own, ...alert.resolvesFingerprints])];
}
