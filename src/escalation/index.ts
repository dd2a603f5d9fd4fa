/**
 * Escalation: policies, on-call rotations, the escalation engine, stuck incidents, heartbeats and
 * synthetic checks. See docs/escalation.md; the composition root wires it (ports in `ports.ts`).
 */
export { EscalationEngine, StepBusyError, stepTimerId, claimKey, lastHumanActivity, ESCALATION_METRICS, STEP_TIMER, SWEEP_TIMER, type EscalationEngineDeps, type EscalateNowResult } from './engine.js';
export { HeartbeatMonitor, HEARTBEAT_TIMER, HEARTBEAT_METRICS, heartbeatFingerprint, type HeartbeatMonitorDeps, type HeartbeatStatus } from './heartbeats.js';
export { SyntheticChecks, SYNTHETIC_TIMER, SYNTHETIC_METRICS, syntheticFingerprint, type SyntheticChecksDeps, type ProbeResult, type FetchLike } from './synthetics.js';
export { createEscalationBuiltins, createHeartbeatsJobHandler, ESCALATION_BUILTIN_NAMES, type EscalationBuiltinName, type EscalationBuiltinDeps } from './builtins.js';
export { escalationMetricsCollector, ESCALATION_METRIC_DECLARATIONS, OPERATIONS_METRICS, type EscalationMetricsDeps } from './metrics.js';
export { createTimerHandler, type TimerConsumer } from './timer-handler.js';
export { approvalsFromRunbookStore } from './approvals.js';
export { choosePolicy, subjectOf, type PolicyChoice } from './policy.js';
export { Rotation, type OnCallShift } from './rotation.js';
export { MemoryClaimStore, MemoryEscalationStateStore, MemoryHeartbeatStore, MemorySyntheticStore } from './memory-stores.js';
export { escalationSettingsSchema, defaultEscalationSettings, resolveEscalationSecrets, type EscalationSettings, type PagingSecrets, type EscalationSettingsProblem } from './settings.js';
export type * from './ports.js';
export { createEscalationChat, type EscalationChatDeps, type AttentionPoster } from './chat.js';
