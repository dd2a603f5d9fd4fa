/**
 * The platform a task runs on, in OCI terms (`linux/amd64`), derived from the task definition's
 * `runtimePlatform`. ECS defaults to Linux on x86-64 when the task definition does not say.
 */

/** OCI platform: `os` and `architecture` as in image indexes (`linux`, `amd64`, `arm64`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What ECS runs when the task definition names no `runtimePlatform`. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** ECS `runtimePlatform` → OCI platform; unknown values are kept lowercased rather than guessed. */
export function platformFromRuntime(runtime?: { cpuArchitecture?: string; operatingSystemFamily?: string }): Platform {
  const cpu = runtime?.cpuArchitecture?.toUpperCase();
  const osFamily = runtime?.operatingSystemFamily?.toUpperCase();
  const architecture = cpu === undefined || cpu === 'X86_64' ? 'amd64' : cpu === 'ARM64' ? 'arm64' : cpu.toLowerCase();
  const os = osFamily === undefined || osFamily === 'LINUX' ? 'linux' : osFamily.startsWith('WINDOWS') ? 'windows' : osFamily.toLowerCase();
  return { os, architecture };
}

/** `linux/arm64/v8`. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined && p !== '').join('/');
}

/**
 * Would a runtime asking for `wanted` pull an entry declared as `offered`? Variant only matters when
 * both name one, and arm64 images commonly declare `v8` while tasks never ask for a variant.
 */
export function platformMatches(wanted: Platform, offered: Platform): boolean {
  if (wanted.os !== offered.os || wanted.architecture !== offered.architecture) return false;
  if (wanted.variant === undefined || offered.variant === undefined) return true;
  return wanted.variant === offered.variant;
}
