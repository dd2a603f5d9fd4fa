/**
 * CloudWatch puts the region's *display name* into SNS alarm messages (`"Region": "EU (Ireland)"`),
 * not its code; 2019-era messages have no `AlarmArn` to take the code from. This table maps the
 * names CloudWatch has used (both the older `EU (…)` and the newer `Europe (…)` spelling) to codes.
 */
const DISPLAY_NAMES: Record<string, string> = {
  'us east (n. virginia)': 'us-east-1',
  'us east (ohio)': 'us-east-2',
  'us west (n. california)': 'us-west-1',
  'us west (oregon)': 'us-west-2',
  'africa (cape town)': 'af-south-1',
  'asia pacific (hong kong)': 'ap-east-1',
  'asia pacific (taipei)': 'ap-east-2',
  'asia pacific (hyderabad)': 'ap-south-2',
  'asia pacific (mumbai)': 'ap-south-1',
  'asia pacific (jakarta)': 'ap-southeast-3',
  'asia pacific (melbourne)': 'ap-southeast-4',
  'asia pacific (malaysia)': 'ap-southeast-5',
  'asia pacific (new zealand)': 'ap-southeast-6',
  'asia pacific (thailand)': 'ap-southeast-7',
  'asia pacific (osaka)': 'ap-northeast-3',
  'asia pacific (seoul)': 'ap-northeast-2',
  'asia pacific (singapore)': 'ap-southeast-1',
  'asia pacific (sydney)': 'ap-southeast-2',
  'asia pacific (tokyo)': 'ap-northeast-1',
  'canada (central)': 'ca-central-1',
  'canada west (calgary)': 'ca-west-1',
  'eu (frankfurt)': 'eu-central-1',
  'eu (zurich)': 'eu-central-2',
  'eu (ireland)': 'eu-west-1',
  'eu (london)': 'eu-west-2',
  'eu (paris)': 'eu-west-3',
  'eu (milan)': 'eu-south-1',
  'eu (spain)': 'eu-south-2',
  'eu (stockholm)': 'eu-north-1',
  'israel (tel aviv)': 'il-central-1',
  'mexico (central)': 'mx-central-1',
  'middle east (bahrain)': 'me-south-1',
  'middle east (uae)': 'me-central-1',
  'south america (sao paulo)': 'sa-east-1',
  'south america (são paulo)': 'sa-east-1',
  'aws govcloud (us-east)': 'us-gov-east-1',
  'aws govcloud (us-west)': 'us-gov-west-1',
  'aws govcloud (us)': 'us-gov-west-1',
  'china (beijing)': 'cn-north-1',
  'china (ningxia)': 'cn-northwest-1',
};

/** `"EU (Ireland)"` → `eu-west-1`; `undefined` for a name we do not know. */
export function regionFromDisplayName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const key = name.trim().toLowerCase().replace(/^europe \(/, 'eu (').replace(/\s+/g, ' ');
  return DISPLAY_NAMES[key];
}
