import { randomInt } from 'node:crypto';

/** Letters and digits that survive being read aloud or retyped from a phone: no 0/o, 1/l/i. */
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const LENGTH = 6;

/** The shape of an incident id, for command args and API routes. */
export const INCIDENT_ID_PATTERN = /^inc-[23456789abcdefghjkmnpqrstuvwxyz]{6}$/;

/**
 * A new incident id such as `inc-7f3a2c`: short enough to type in `ack inc-7f3a2c`. 31⁶ ≈ 887
 * million ids; the store refuses an id that is already taken and the caller draws again, so a
 * collision costs a retry, never a merged incident.
 */
export function newIncidentId(): string {
  let id = 'inc-';
  for (let i = 0; i < LENGTH; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** Lower-cases and trims what a person typed (`INC-7F3A2C` → `inc-7f3a2c`); undefined when it is not an id. */
export function normalizeIncidentId(text: string): string | undefined {
  const id = text.trim().toLowerCase();
  return INCIDENT_ID_PATTERN.test(id) ? id : undefined;
}
