/**
 * Private PSL suffixes under which the *provider* assigns the label, as an opaque ID, e.g.
 * `d1a2b3c4d5e6f7.cloudfront.net`, `abc123defg.execute-api.us-east-1.amazonaws.com`,
 * `ec2-3-4-5-6.compute-1.amazonaws.com`. Such labels look random by design, yet nobody (malware included)
 * can choose them, so they cannot be DGA rendezvous names; scoring them would only produce false positives
 * on CDN and cloud traffic. For these the normaliser falls back to the ICANN split and scores the
 * provider's own name (`cloudfront`, `amazonaws`).
 *
 * Suffixes where the customer *chooses* the label (dynamic DNS, `*.s3.amazonaws.com` buckets,
 * `*.azurewebsites.net`, `*.workers.dev`, ...) are deliberately absent: a DGA can register those, so their
 * label is scored. Each pattern matches the public suffix tldts reports (private section on).
 */
export const PROVIDER_ASSIGNED_SUFFIXES: readonly RegExp[] = [
  /^cloudfront\.net$/, // CloudFront distribution IDs
  /^akamaiedge\.net$/, // Akamai edge host IDs (e1234.x.akamaiedge.net)
  /^r2\.dev$/, // Cloudflare R2 public bucket IDs (pub-<hex>.r2.dev)
  /^awsglobalaccelerator\.com$/, // Global Accelerator IDs
  /^execute-api\.[a-z0-9-]+\.amazonaws\.com$/, // API Gateway IDs
  /^lambda-url\.[a-z0-9-]+\.on\.aws$/, // Lambda function URL IDs
  // EC2 public DNS names; the PSL wildcard makes the whole hostname the suffix.
  /(^|\.)compute(-1)?\.amazonaws\.com(\.cn)?$/,
];

/** True when the label left of `publicSuffix` is assigned by the provider rather than chosen. */
export function isProviderAssignedSuffix(publicSuffix: string): boolean {
  return PROVIDER_ASSIGNED_SUFFIXES.some((pattern) => pattern.test(publicSuffix));
}
