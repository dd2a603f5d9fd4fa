/**
 * ECR lifecycle policy text → a validated, typed policy. Pure.
 *
 * The constraints are the ones ECR itself enforces (see corpus ecr/SEMANTICS.md): a policy ECR
 * accepted always parses; a policy that does not parse is either hand-written or uses a feature
 * newer than this code — then exposure is reported as unknown rather than guessed.
 */
import { z } from 'zod';

/** Which images a rule selects by tags. */
export type TagStatus = 'tagged' | 'untagged' | 'any';
/** ECR storage class; archived images cannot be pulled until restored. */
export type StorageClass = 'standard' | 'archive';
/** `transition` always means "to archive". */
export type LifecycleAction = 'expire' | 'transition';

/** How a rule chooses among the images its tag requirements select. */
export type RuleCount =
  | { type: 'imageCountMoreThan'; number: number }
  | { type: 'sinceImagePushed' | 'sinceImagePulled' | 'sinceImageTransitioned'; days: number };

/** One rule, normalised (defaults filled in). */
export interface LifecycleRule {
  priority: number;
  description?: string;
  tagStatus: TagStatus;
  /** Wildcard patterns; every one must match some tag of the image (AND). */
  tagPatternList?: readonly string[];
  /** Prefixes; every one must prefix some tag of the image (AND). */
  tagPrefixList?: readonly string[];
  storageClass: StorageClass;
  count: RuleCount;
  action: LifecycleAction;
}

/** A policy: rules sorted by ascending priority (the order ECR applies them in). */
export interface LifecyclePolicy {
  rules: readonly LifecycleRule[];
}

/** A valid policy, or every problem found. */
export type ParsePolicyResult = { ok: true; policy: LifecyclePolicy } | { ok: false; errors: string[] };

const ruleSchema = z.object({
  rulePriority: z.number().int().min(1),
  description: z.string().optional(),
  selection: z.object({
    tagStatus: z.enum(['tagged', 'untagged', 'any']),
    tagPatternList: z.array(z.string().min(1)).min(1).optional(),
    tagPrefixList: z.array(z.string().min(1)).min(1).optional(),
    storageClass: z.enum(['standard', 'archive']).optional(),
    countType: z.enum(['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned']),
    countUnit: z.string().optional(),
    countNumber: z.number().int().min(1),
  }),
  action: z.object({
    type: z.enum(['expire', 'transition']),
    targetStorageClass: z.enum(['archive']).optional(),
  }),
});

const policySchema = z.object({ rules: z.array(ruleSchema).min(1) });

/** Parse lifecycle policy JSON text and check the rules ECR enforces; lists every problem at once. */
export function parseLifecyclePolicy(text: string): ParsePolicyResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`the policy is not valid JSON: ${(err as Error).message}`] };
  }
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`) };
  }

  const errors: string[] = [];
  const rules: LifecycleRule[] = [];
  for (const raw of parsed.data.rules) {
    const s = raw.selection;
    const where = `rule ${raw.rulePriority}`;
    if (s.tagPatternList && s.tagPrefixList) errors.push(`${where}: use tagPatternList or tagPrefixList, not both`);
    if (s.tagStatus === 'tagged' && !s.tagPatternList && !s.tagPrefixList) {
      errors.push(`${where}: tagStatus tagged needs a tagPatternList or tagPrefixList`);
    }
    if (s.tagStatus !== 'tagged' && (s.tagPatternList || s.tagPrefixList)) {
      errors.push(`${where}: tag lists are only allowed with tagStatus tagged`);
    }
    for (const pattern of s.tagPatternList ?? []) {
      if ((pattern.match(/\*/g) ?? []).length > 4) errors.push(`${where}: pattern "${pattern}" has more than 4 wildcards`);
    }
    const storageClass = s.storageClass ?? 'standard';
    let count: RuleCount;
    if (s.countType === 'imageCountMoreThan') {
      if (s.countUnit !== undefined) errors.push(`${where}: countUnit is not allowed with imageCountMoreThan`);
      count = { type: 'imageCountMoreThan', number: s.countNumber };
    } else {
      if (s.countUnit !== 'days') errors.push(`${where}: ${s.countType} needs countUnit "days"`);
      count = { type: s.countType, days: s.countNumber };
    }
    const action = raw.action.type;
    if (action === 'transition' && raw.action.targetStorageClass !== 'archive') {
      errors.push(`${where}: a transition needs targetStorageClass "archive"`);
    }
    if (action === 'expire' && raw.action.targetStorageClass !== undefined) {
      errors.push(`${where}: targetStorageClass is only allowed with a transition`);
    }
    if (action === 'transition' && storageClass === 'archive') errors.push(`${where}: archived images cannot be transitioned again`);
    if (s.countType === 'sinceImagePulled' && action !== 'transition') {
      errors.push(`${where}: sinceImagePulled can only transition (archive), never expire`);
    }
    if (s.countType === 'sinceImageTransitioned' && (action !== 'expire' || storageClass !== 'archive')) {
      errors.push(`${where}: sinceImageTransitioned needs action expire and storageClass archive`);
    }
    const rule: LifecycleRule = { priority: raw.rulePriority, tagStatus: s.tagStatus, storageClass, count, action };
    if (raw.description !== undefined) rule.description = raw.description;
    if (s.tagPatternList) rule.tagPatternList = s.tagPatternList;
    if (s.tagPrefixList) rule.tagPrefixList = s.tagPrefixList;
    rules.push(rule);
  }

  const seen = new Set<number>();
  for (const rule of rules) {
    if (seen.has(rule.priority)) errors.push(`rule ${rule.priority}: rulePriority must be unique`);
    seen.add(rule.priority);
  }
  rules.sort((a, b) => a.priority - b.priority);
  for (const storageClass of ['standard', 'archive'] as const) {
    const inClass = rules.filter((r) => r.storageClass === storageClass);
    const anyRule = inClass.find((r) => r.tagStatus === 'any');
    const last = inClass[inClass.length - 1];
    if (anyRule && last && anyRule !== last) {
      errors.push(`rule ${anyRule.priority}: a tagStatus any rule must have the highest rulePriority`);
    }
    if (inClass.filter((r) => r.tagStatus === 'untagged').length > 1) {
      errors.push(`only one rule per storage class may select untagged images (${storageClass})`);
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: { rules } };
}

/** "sinceImagePushed 7 days", "imageCountMoreThan 30": how a rule reads in a sentence. */
export function describeCount(rule: LifecycleRule): string {
  return rule.count.type === 'imageCountMoreThan'
    ? `imageCountMoreThan ${rule.count.number}`
    : `${rule.count.type} ${rule.count.days} day${rule.count.days === 1 ? '' : 's'}`;
}
