// Types for wrangler-env.js (plain JS so the wrangler wrappers run without a TypeScript loader).
export declare const OFFLINE_ENV: Readonly<Record<string, string>>;
export declare function offlineEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
