// Test helpers (not a test file): images rendered with sharp, and a local HTTP server that counts requests.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

/** An RGB colour. */
export type Rgb = { r: number; g: number; b: number };

/** A solid-colour image of the given size and format. */
export async function solidImage(width: number, height: number, colour: Rgb, format: "png" | "jpeg" = "png"): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: colour } });
  return format === "png" ? image.png().toBuffer() : image.jpeg({ quality: 95 }).toBuffer();
}

/** A noisy image (incompressible, so truncation really cuts pixel data). */
export async function noiseImage(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma: 40 } } })
    .png()
    .toBuffer();
}

/** The RGB triple at (x, y) of a size×size thumbnail. */
export function pixel(thumb: Uint8Array, size: number, x: number, y: number): [number, number, number] {
  const i = (y * size + x) * 3;
  return [thumb[i]!, thumb[i + 1]!, thumb[i + 2]!];
}

/** Handler for one request; `hit` is the 1-based count of requests to this path so far. */
export type Route = (req: IncomingMessage, res: ServerResponse, hit: number) => void | Promise<void>;

/** A local server on 127.0.0.1 (random port) that counts requests per path and the peak in flight. */
export interface TestServer {
  /** http://127.0.0.1:PORT */
  base: string;
  /** Requests seen per path. */
  hits: Map<string, number>;
  /** Most requests being answered at once so far. */
  maxInFlight(): number;
  /** Start counting the peak afresh. */
  resetPeak(): void;
  /** Stop the server, dropping open connections (slow routes included). */
  close(): Promise<void>;
}

/** Start a server; paths not in `routes` answer 404. */
export async function startServer(routes: Record<string, Route>): Promise<TestServer> {
  const hits = new Map<string, number>();
  let inFlight = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const hit = (hits.get(url.pathname) ?? 0) + 1;
    hits.set(url.pathname, hit);
    inFlight++;
    peak = Math.max(peak, inFlight);
    let finished = false;
    const done = () => {
      if (!finished) {
        finished = true;
        inFlight--;
      }
    };
    res.on("finish", done);
    res.on("close", done);
    const route = routes[url.pathname];
    if (!route) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    void Promise.resolve(route(req, res, hit)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    maxInFlight: () => peak,
    resetPeak: () => {
      peak = inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Wait ms milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
