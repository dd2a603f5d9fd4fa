import { z } from 'zod';

/** The three kinds of SNS HTTP(S) delivery. */
export const SNS_MESSAGE_TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

/**
 * The SNS HTTP(S) body (PascalCase keys; SEMANTICS: sns-cloudwatch). Signature fields are optional
 * here because parsing and verifying are separate steps; the verifier requires them.
 */
export const SnsEnvelopeSchema = z.looseObject({
  Type: z.enum(SNS_MESSAGE_TYPES),
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Subject: z.string().nullish(),
  Message: z.string(),
  Timestamp: z.string().min(1),
  SignatureVersion: z.string().optional(),
  Signature: z.string().optional(),
  SigningCertURL: z.string().optional(),
  SubscribeURL: z.string().optional(),
  Token: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
});

export type SnsEnvelope = z.output<typeof SnsEnvelopeSchema>;

/** Does this look like an SNS HTTP body (used to give a precise error for other JSON)? */
export function looksLikeSnsEnvelope(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'Type' in value && 'TopicArn' in value;
}
