// The Vitrine SDK: a typed client whose types come from the server's AppRouter (type-only).
export { createClient, type ClientOptions, type VitrineClient } from "./client.ts";
export { VitrineError } from "./errors.ts";
export type * from "./types.ts";
