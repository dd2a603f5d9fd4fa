/**
 * A copy without `undefined` properties. Alerts are stored as JSON and compared in tests; absent
 * is the one spelling of "unknown" so `{ service: undefined }` never differs from `{}`.
 */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
