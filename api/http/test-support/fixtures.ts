// Shared fixtures of the HTTP-layer tests: keys and an app over the in-memory service.
import { createApp, type AppOptions } from "../app.ts";
import type { ApiKey } from "../auth.ts";
import { memoryService } from "./memory-service.ts";

export const READ_KEY = "read-key-0123456789abcdef";
export const ADMIN_KEY = "admin-key-0123456789abcdef";
export const KEYS: ApiKey[] = [
  { id: "reader", key: READ_KEY, role: "read" },
  { id: "admin", key: ADMIN_KEY, role: "admin" },
];

/** An app over a fresh in-memory service; rate limiting off unless asked for. */
export function testApp(overrides: Partial<AppOptions> = {}) {
  const service = memoryService();
  const app = createApp({ service, keys: KEYS, ...overrides });
  return { app, service };
}

/** JSON request init with a key. */
export function withKey(key: string | null, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): RequestInit {
  const headers: Record<string, string> = { ...init.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const method = init.method ?? (init.body !== undefined || init.raw !== undefined ? "POST" : "GET");
  if (method === "POST") headers["content-type"] ??= "application/json";
  return {
    method,
    headers,
    ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  };
}

/** URL of a tRPC query with its input. */
export const trpcQuery = (path: string, input?: unknown) => `/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;
