import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config.ts";
import { serveCommand } from "../cli.ts";
import { existsSync } from "node:fs";
import { EXIT_CODES } from "../../core/index.ts";

const KEY = "0123456789abcdef0123";

describe("parseConfig", () => {
  it("reads keys, port, data dir and rate limit from the environment", () => {
    const c = parseConfig({ VITRINE_API_KEYS: `app:${KEY}:read, ops:${KEY}xyz:admin`, VITRINE_PORT: "9000", VITRINE_DATA: "/srv/vitrine", VITRINE_RATE_LIMIT: "20:40" });
    expect(c.keys).toEqual([
      { id: "app", key: KEY, role: "read" },
      { id: "ops", key: `${KEY}xyz`, role: "admin" },
    ]);
    expect(c).toMatchObject({ port: 9000, dataDir: "/srv/vitrine", rateLimit: { perSecond: 20, burst: 40 }, host: "127.0.0.1", publicMetrics: false });
  });

  it("defaults, and env over file", () => {
    expect(parseConfig({})).toMatchObject({ keys: [], port: 8787, rateLimit: { perSecond: 50, burst: 100 }, maxBodyBytes: 1 << 20 });
    expect(parseConfig({ VITRINE_PORT: "1" }, { port: 2, publicMetrics: true })).toMatchObject({ port: 1, publicMetrics: true });
    expect(parseConfig({ VITRINE_RATE_LIMIT: "off" }).rateLimit).toBeNull();
  });

  it("the unauthenticated limit and trusted proxy hops: defaults 10/s burst 20 and 0, env and file", () => {
    expect(parseConfig({})).toMatchObject({ unauthRateLimit: { perSecond: 10, burst: 20 }, trustProxyHops: 0 });
    expect(parseConfig({ VITRINE_UNAUTH_RATE_LIMIT: "2:5", VITRINE_TRUST_PROXY_HOPS: "1" })).toMatchObject({ unauthRateLimit: { perSecond: 2, burst: 5 }, trustProxyHops: 1 });
    expect(parseConfig({ VITRINE_UNAUTH_RATE_LIMIT: "off" }).unauthRateLimit).toBeNull();
    expect(parseConfig({}, { unauthRateLimit: null, trustProxyHops: 2 })).toMatchObject({ unauthRateLimit: null, trustProxyHops: 2 });
    expect(() => parseConfig({ VITRINE_UNAUTH_RATE_LIMIT: "lots" })).toThrow(/^VITRINE_UNAUTH_RATE_LIMIT must be "off" or PER_SECOND:BURST .*"10:20"/);
    expect(() => parseConfig({ VITRINE_TRUST_PROXY_HOPS: "11" })).toThrow(/^VITRINE_TRUST_PROXY_HOPS: trustProxyHops must be 0–10/);
  });

  it("a bad value fails loudly, naming the variable", () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ VITRINE_API_KEYS: `app:${KEY}:write` }, /^VITRINE_API_KEYS: entry 1 \("app"\): role: role must be "read" or "admin"/],
      [{ VITRINE_API_KEYS: "app-short:read" }, /^VITRINE_API_KEYS: entry 1 must be id:key:role/],
      [{ VITRINE_API_KEYS: "app:short:read" }, /VITRINE_API_KEYS: .*at least 16 characters/],
      [{ VITRINE_PORT: "eighty" }, /^VITRINE_PORT must be a whole number/],
      [{ VITRINE_PORT: "70000" }, /^VITRINE_PORT: port must be 0–65535/],
      [{ VITRINE_RATE_LIMIT: "fast" }, /^VITRINE_RATE_LIMIT must be "off" or PER_SECOND:BURST/],
      [{ VITRINE_PUBLIC_METRICS: "maybe" }, /^VITRINE_PUBLIC_METRICS must be true or false/],
      [{ VITRINE_LOG_LEVEL: "loud" }, /^VITRINE_LOG_LEVEL: /],
      [{ VITRINE_API_KEYS: `a:${KEY}:read,a:${KEY}b:read` }, /key id "a" appears twice/],
    ];
    for (const [env, message] of bad) {
      expect(() => parseConfig(env), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => parseConfig(env)).toThrow(message);
    }
    expect(() => parseConfig({}, { rateLimit: { perSecond: 0, burst: 1 } }, "config file vitrine.json")).toThrow(
      /^config file vitrine.json field "rateLimit.perSecond": rateLimit.perSecond must be > 0/,
    );
  });
});

describe("vitrine serve", () => {
  it("exits with a clear message on bad flags (2), bad config (3) or a missing data directory (4), before loading the service", async () => {
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => void errors.push(m);
    try {
      expect(await serveCommand([], {})).toBe(EXIT_CODES.usage);
      expect(await serveCommand(["--data", "/tmp", "--port", "abc"], {})).toBe(EXIT_CODES.usage);
      expect(await serveCommand(["--data", "/tmp"], { VITRINE_API_KEYS: "nope" })).toBe(EXIT_CODES.input);
      expect(await serveCommand(["--data", "/nonexistent/vitrine-data"], {})).toBe(EXIT_CODES.missing);
    } finally {
      console.error = orig;
    }
    expect(errors[0]).toContain("--data DIR is required");
    expect(errors[1]).toContain("--port must be a whole number");
    expect(errors[2]).toContain("VITRINE_API_KEYS: entry 1 must be id:key:role");
    expect(errors[3]).toMatch(/STORE_MISSING: --data \/nonexistent\/vitrine-data: no such directory/);
    expect(existsSync("/nonexistent/vitrine-data")).toBe(false);
  });
});
