/**
 * Alertmanager's own alert fingerprint, recomputed for payloads that lack the `fingerprint` field
 * (older senders, e.g. the 2018 payload in the corpus). It is Prometheus' `LabelSet.Fingerprint`:
 * FNV-1a 64-bit over the label names in sorted order, each name and value followed by the 0xFF
 * separator byte, printed as 16 hex digits. Computing the *same* value means an old and a new
 * Alertmanager reporting one label set agree, and it is verified against the corpus captures.
 */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

export function labelSetFingerprint(labels: Readonly<Record<string, string>>): string {
  let hash = FNV_OFFSET;
  const addByte = (byte: number): void => {
    hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  };
  const addString = (text: string): void => {
    for (const byte of encoder.encode(text)) addByte(byte);
  };
  for (const name of Object.keys(labels).sort()) {
    addString(name);
    addByte(SEPARATOR);
    addString(labels[name] ?? '');
    addByte(SEPARATOR);
  }
  return hash.toString(16).padStart(16, '0');
}
