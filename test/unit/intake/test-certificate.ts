/**
 * A throwaway RSA key and self-signed X.509 certificate, built in memory for the SNS signature
 * tests. Node can parse certificates but not create them, so the DER is assembled here (a minimal
 * v3 certificate: version, serial, algorithm, issuer, validity, subject, public key) and signed
 * with the generated key. Nothing is committed: no key material lives in the repository.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), length(body.length), body]);
const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const integer = (n: number): Buffer => tlv(0x02, Buffer.from([n]));
const oid = (dotted: string): Buffer => {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const chunk = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) chunk.unshift((x & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
};
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const generalizedTime = (d: Date): Buffer => tlv(0x18, Buffer.from(`${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`));
const name = (cn: string): Buffer => sequence(set(sequence(oid('2.5.4.3'), utf8(cn))));

export interface TestCertificate {
  pem: string;
  privateKey: KeyObject;
}

export function makeTestCertificate(options: { notBefore?: Date; notAfter?: Date; commonName?: string } = {}): TestCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const algorithm = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const subject = name(options.commonName ?? 'sns.amazonaws.com');
  const tbs = sequence(
    tlv(0xa0, integer(2)),
    integer(1),
    algorithm,
    subject,
    sequence(generalizedTime(options.notBefore ?? new Date('2020-01-01T00:00:00Z')), generalizedTime(options.notAfter ?? new Date('2100-01-01T00:00:00Z'))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return { pem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`, privateKey };
}
