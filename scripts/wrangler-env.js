// Environment for every wrangler / miniflare run of this project: quiet and offline.
// - WRANGLER_SEND_METRICS / CLOUDFLARE_TELEMETRY_DISABLED: no telemetry.
// - CLOUDFLARE_CF_FETCH_ENABLED=false: miniflare does not download the `request.cf` object.
// - WRANGLER_SEND_ERROR_REPORTS=false: no crash reports.
// - npm_registry (read by the `rc` package as "registry"): wrangler's banner runs an npm "update available?" check; pointing it at a closed
//   loopback port makes it fail at once instead of reaching the internet (it is only advisory).
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_TELEMETRY_DISABLED: '1',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  npm_registry: 'http://127.0.0.1:9/',
};

/** process.env plus the offline settings (the caller's explicit values win). */
export function offlineEnv(base = process.env) {
  return { ...OFFLINE_ENV, ...base, npm_registry: OFFLINE_ENV.npm_registry };
}
