import { IntakeError, type IntakeErrorCode } from '../errors.js';

/** The outcome of an authenticity check: pass, or the refusal to answer with. */
export type AuthResult = { ok: true } | { ok: false; error: IntakeError };

export const AUTH_OK: AuthResult = { ok: true };

export function denied(code: IntakeErrorCode, reason: string): AuthResult {
  return { ok: false, error: new IntakeError(code, reason) };
}
