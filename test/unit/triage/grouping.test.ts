import { describe, expect, it } from 'vitest';
import { groupKeyOf } from '../../../src/triage/grouping.js';
import { settingsWith } from '../incidents/harness.js';
import { ACCOUNT, REGION, alarm, alertmanager, stoppedTask, steadyState, taskStartImpaired } from '../incidents/alerts.js';

const grouping = settingsWith().grouping;

describe('group keys', () => {
  it('put a service’s CloudWatch alarm, its stopped tasks and its SERVICE_TASK_START_IMPAIRED in one group', () => {
    const keys = new Set([
      groupKeyOf(alarm('api-running-tasks-low', 'ALARM', { service: 'api' }), grouping),
      groupKeyOf(stoppedTask('api'), grouping),
      groupKeyOf(taskStartImpaired('api'), grouping),
      groupKeyOf(steadyState('api'), grouping),
    ]);
    expect([...keys]).toEqual([`service:${ACCOUNT}/${REGION}/prod/api`]);
  });

  it('keep two services apart', () => {
    expect(groupKeyOf(stoppedTask('api'), grouping)).not.toBe(groupKeyOf(stoppedTask('worker'), grouping));
  });

  it('group a queue alarm by its queue when there is no service', () => {
    expect(groupKeyOf(alarm('jobs-backlog', 'ALARM', { queue: 'jobs' }), grouping)).toBe(`queue:${ACCOUNT}/${REGION}/jobs`);
  });

  it('fall back to the alert name, scoped by account and region when known', () => {
    expect(groupKeyOf(alarm('alb-5xx', 'ALARM'), grouping)).toBe(`name:${ACCOUNT}/${REGION}/alb-5xx`);
    expect(groupKeyOf(alertmanager('HighLatency', 'firing'), grouping)).toBe('name:HighLatency');
  });

  it('mark missing leading fields with a dash instead of skipping the rule', () => {
    const alert = stoppedTask('api', { target: { service: 'api' } });
    expect(groupKeyOf(alert, grouping)).toBe('service:-/-/-/api');
  });

  it('follow configured rules and fallbacks', () => {
    const custom = settingsWith({ grouping: { rules: [['cluster']], fallback: ['senderGroupKey', 'fingerprint'] } }).grouping;
    expect(groupKeyOf(stoppedTask('api'), custom)).toBe('cluster:prod');
    expect(groupKeyOf(alertmanager('HighLatency', 'firing'), custom)).toBe('sender:alertmanager:{}:{alertname="HighLatency"}');
    expect(groupKeyOf(alarm('alb-5xx', 'ALARM'), custom)).toBe(`fingerprint:cloudwatch-alarm:arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:alb-5xx`);
  });
});
