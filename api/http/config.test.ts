import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, perWorkerConfig } from "./config.ts";
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
    expect(parseConfig({}).jobNice).toBe(10);
    expect(parseConfig({ VITRINE_JOB_NICE: "0" }, { jobNice: 5 }).jobNice).toBe(0);
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
      [{ VITRINE_API_KEYS: `app:${KEY}:write` }, /^VITRINE_API_KEYS: entry 1 \("app"\): role: role must be "read", "admin" or "search"/],
      [{ VITRINE_API_KEYS: "app-short:read" }, /^VITRINE_API_KEYS: entry 1 must be id:key:role/],
      [{ VITRINE_API_KEYS: "app:short:read" }, /VITRINE_API_KEYS: .*at least 16 characters/],
      [{ VITRINE_PORT: "eighty" }, /^VITRINE_PORT must be a whole number/],
      [{ VITRINE_PORT: "70000" }, /^VITRINE_PORT: port must be 0–65535/],
      [{ VITRINE_RATE_LIMIT: "fast" }, /^VITRINE_RATE_LIMIT must be "off" or PER_SECOND:BURST/],
      [{ VITRINE_PUBLIC_METRICS: "maybe" }, /^VITRINE_PUBLIC_METRICS must be true or false/],
      [{ VITRINE_LOG_LEVEL: "loud" }, /^VITRINE_LOG_LEVEL: /],
      [{ VITRINE_JOB_NICE: "20" }, /^VITRINE_JOB_NICE: jobNice must be 0–19/],
      [{ VITRINE_JOB_NICE: "-1" }, /^VITRINE_JOB_NICE must be a whole number/],
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

describe("perWorkerConfig", () => {
  it("gives each of N workers 1/N of every rate limit, the burst rounded up to at least 1", () => {
    const c = parseConfig({ VITRINE_RATE_LIMIT: "50:101", VITRINE_UNAUTH_RATE_LIMIT: "3:1" });
    expect(perWorkerConfig(c, 2)).toMatchObject({ rateLimit: { perSecond: 25, burst: 51 }, unauthRateLimit: { perSecond: 1.5, burst: 1 } });
    expect(perWorkerConfig(c, 1)).toBe(c);
    expect(perWorkerConfig(parseConfig({ VITRINE_RATE_LIMIT: "off" }), 4).rateLimit).toBeNull();
    expect(() => perWorkerConfig(c, 0)).toThrow(/workers must be a whole number ≥ 1, got 0/);
  });
});

describe("parseConfig: browsers (CORS, search keys, image links)", () => {
  it("reads search keys with their origins, CORS origins and the public base URL from the environment and the file", () => {
    const c = parseConfig({
      VITRINE_API_KEYS: `web:${KEY}:search,app:${KEY}b:read`,
      VITRINE_KEY_ORIGINS: "web=https://Shop.example:443 http://127.0.0.1:3000/",
      VITRINE_CORS_ORIGINS: "https://admin.shop.example, http://localhost:5173",
      VITRINE_PUBLIC_BASE_URL: "https://cdn.shop.example/vitrine/",
    });
    // Origins are kept as browsers send them: lower-case host, default port dropped, no slash.
    expect(c.keys).toEqual([
      { id: "web", key: KEY, role: "search", origins: ["https://shop.example", "http://127.0.0.1:3000"] },
      { id: "app", key: `${KEY}b`, role: "read" },
    ]);
    expect(c.corsOrigins).toEqual(["https://admin.shop.example", "http://localhost:5173"]);
    expect(c.publicBaseUrl).toBe("https://cdn.shop.example/vitrine");
    expect(parseConfig({})).toMatchObject({ corsOrigins: [], publicBaseUrl: null });
    expect(parseConfig({}, { keys: [{ id: "w", key: KEY, role: "search", origins: ["https://a.example"] }], corsOrigins: ["*"] })).toMatchObject({
      keys: [{ origins: ["https://a.example"] }],
      corsOrigins: ["*"],
    });
  });

  it("a bad origin, an unknown key id or a bad base URL fails, naming the variable and the fix", () => {
    const bad: [Record<string, string>, RegExp][] = [
      [
        { VITRINE_API_KEYS: `web:${KEY}:search`, VITRINE_KEY_ORIGINS: "web=https://shop.example/search" },
        /^VITRINE_KEY_ORIGINS: "https:\/\/shop.example\/search" is not a web origin; write scheme:\/\/host\[:port\]/,
      ],
      [{ VITRINE_API_KEYS: `web:${KEY}:search`, VITRINE_KEY_ORIGINS: "shop=https://shop.example" }, /^VITRINE_KEY_ORIGINS: no key with id "shop" \(ids: web\)/],
      [{ VITRINE_KEY_ORIGINS: "https://shop.example" }, /^VITRINE_KEY_ORIGINS: entry 1 must be id=ORIGIN/],
      [{ VITRINE_CORS_ORIGINS: "shop.example" }, /^VITRINE_CORS_ORIGINS: /],
      [{ VITRINE_PUBLIC_BASE_URL: "cdn.shop.example" }, /^VITRINE_PUBLIC_BASE_URL: publicBaseUrl must be an http\(s\) URL/],
    ];
    for (const [env, message] of bad) expect(() => parseConfig(env), JSON.stringify(env)).toThrow(message);
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
