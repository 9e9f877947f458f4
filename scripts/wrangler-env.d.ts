// Types of scripts/wrangler-env.js (plain JavaScript so that `npm start` needs no TypeScript loader).
export declare const OFFLINE_ENV: Readonly<Record<string, string>>;
export declare function offlineEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
