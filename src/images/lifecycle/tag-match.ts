/**
 * Does an image's tag set satisfy a rule's tag requirements? Pure.
 * ECR semantics: several patterns (or prefixes) in one rule are AND — each must match some tag
 * of the image; `*` matches any run of characters (including none); matching is case-sensitive.
 */
import type { LifecycleRule } from './policy.js';

const compiled = new Map<string, RegExp>();

/** Full-string match of an ECR tag pattern with `*` wildcards. */
export function matchesPattern(pattern: string, tag: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 's');
    compiled.set(pattern, re);
  }
  return re.test(tag);
}

/** Does the rule's tagStatus and tag list select an image with these tags? */
export function matchesTagRequirements(rule: LifecycleRule, tags: readonly string[]): boolean {
  switch (rule.tagStatus) {
    case 'untagged':
      return tags.length === 0;
    case 'any':
      return true;
    case 'tagged': {
      if (tags.length === 0) return false;
      if (rule.tagPatternList) return rule.tagPatternList.every((p) => tags.some((t) => matchesPattern(p, t)));
      if (rule.tagPrefixList) return rule.tagPrefixList.every((p) => tags.some((t) => t.startsWith(p)));
      return false;
    }
  }
}
