// A refused request's unread body is not drained: the connection is closed after the answer.
// By default @hono/node-server (and Node's http server) read and discard what is left of a body
// the app did not read, so that the connection can carry the client's next request: for a keyless
// 1 MB POST that is 1 MB read off the socket on the one event loop to keep a connection an
// attacker holds open. Past DRAIN_MAX_BYTES the answer says `Connection: close` and the socket is
// destroyed once it is written: nothing more is read, and the kernel drops the rest.
import type { IncomingMessage, ServerResponse } from "node:http";

/** Largest unread body still drained after a refusal (a small refused body costs less to drain than the client's reconnect). */
export const DRAIN_MAX_BYTES = 64 * 1024;

/** How much of the request's body is still unread: its declared length, or Infinity for a chunked body not yet ended; 0 when there is none left. */
export function unreadBodyBytes(incoming: IncomingMessage): number {
  if (incoming.readableEnded || incoming.method === "GET" || incoming.method === "HEAD") return 0;
  const declared = incoming.headers["content-length"];
  if (declared !== undefined) return Number(declared) || 0;
  return incoming.headers["transfer-encoding"] ? Number.POSITIVE_INFINITY : 0;
}

/**
 * Wrap an app's fetch so that a refusal (status ≥ 400) leaving more than `maxDrain` bytes of its
 * request body unread closes the connection instead of draining it. Only for @hono/node-server's
 * HTTP/1 bindings; anything else passes through untouched.
 */
export function closeInsteadOfDraining<E>(fetch: (req: Request, env: E) => Response | Promise<Response>, maxDrain = DRAIN_MAX_BYTES): (req: Request, env: E) => Response | Promise<Response> {
  const after = (res: Response, env: E): Response => {
    if (res.status < 400) return res;
    const { incoming, outgoing } = (env ?? {}) as { incoming?: IncomingMessage; outgoing?: ServerResponse };
    if (!incoming?.socket || !outgoing || unreadBodyBytes(incoming) <= maxDrain) return res;
    // Node's http server ends a `Connection: close` answer's socket once written; destroying it at
    // once also stops the reads it would go on doing until the client's side closes.
    let out = res;
    try {
      res.headers.set("connection", "close");
    } catch {
      // Immutable headers (a response passed through from fetch): copy it.
      out = new Response(res.body, res);
      out.headers.set("connection", "close");
    }
    const socket = incoming.socket;
    outgoing.once("finish", () => socket.destroy());
    return out;
  };
  return (req, env) => {
    const res = fetch(req, env);
    return res instanceof Promise ? res.then((r) => after(r, env)) : after(res, env);
  };
}
