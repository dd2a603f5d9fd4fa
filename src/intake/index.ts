/**
 * The intake layer's public API: pure parsers (payload → Alerts or a refusal) and authenticity
 * checks. HTTP routes and the SQS poller live elsewhere and call only what is exported here.
 * See docs/intake.md for each source, its fingerprint rule and its setup recipe.
 */
export type {
  Alert,
  AlertSource,
  AlertStatus,
  AlertTarget,
  ImageAction,
  ImageEvent,
  IncidentClass,
  PullFailureClass,
  Severity,
} from './alert.js';
export { IntakeError, INTAKE_ERRORS, isIntakeError, type IntakeErrorCode, type IntakeHttpStatus } from './errors.js';
export type { IntakeResult, ParseContext } from './result.js';
export { DEFAULT_MAX_BODY_BYTES, readJsonPayload } from './shared/payload.js';

export { parseSnsMessage } from './sns/message.js';
export { parseEventBridgeEvent } from './eventbridge/dispatch.js';
export { parseCloudTrailRecord } from './ecr/cloudtrail.js';
export { parseAlertmanagerWebhook } from './alertmanager/webhook.js';
export { labelSetFingerprint } from './alertmanager/fingerprint.js';
export { parseGenericAlert, GenericAlertSchema, type GenericAlertPayload } from './generic/generic.js';
export { classifyPullFailure, type PullFailure, type PullFailureStage } from './ecs/pull-failure.js';
export { alarmFingerprint } from './cloudwatch/alarm.js';
export { ecsFingerprint, ENDED_BY_STEADY_STATE, type EcsCondition, type EcsScope } from './ecs/scope.js';
export { imageEventFingerprint } from './ecr/image-event.js';

export type { AuthResult } from './auth/auth-result.js';
export {
  SnsVerifier,
  createSnsVerifier,
  shouldConfirmSubscription,
  snsStringToSign,
  type FetchCert,
  type SnsVerification,
  type SnsVerifierOptions,
  type SubscriptionDecision,
  type VerifiedSnsEnvelope,
} from './auth/sns-signature.js';
export { checkSigningCertUrl, isSnsSubscribeUrl } from './auth/sns-cert-url.js';
export { safeEqual, verifyBearerToken, verifySharedSecret, type HeaderValue } from './auth/shared-secret.js';
export {
  DEFAULT_TOLERANCE_MS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signGenericBody,
  verifyGenericSignature,
  type GenericSignatureInput,
} from './auth/hmac.js';
export type { SnsEnvelope } from './sns/envelope.js';
