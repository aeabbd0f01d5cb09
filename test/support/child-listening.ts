// A loopback server started in a child process says where it listens on stdout; the tests wait for
// that line, and fail with what the child printed when it exits first.
import type { ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";

/** The first capture of `line` in the child's stdout (its address); rejects naming `what` when the child exits before printing it. */
export function childListening(child: ChildProcessByStdio<null, Readable, null>, what: string, line = /^listening (http:\/\/\S+)$/m): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b;
      const m = line.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`${what} exited ${code} before listening: ${out}`)));
  });
}
