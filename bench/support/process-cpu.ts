// CPU time of a process and its descendants from /proc (Linux), for figures that hold under other
// load: a server's CPU per request is what it would cost on a quiet machine too, unlike its req/s.
import { readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(" ")
      .filter((s) => s.trim() !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU ms (user + system) used so far by `pid` and its live descendants (null off Linux). */
export function treeCpuMs(pid: number): number | null {
  let total = 0;
  const seen = new Set<number>();
  const walk = (p: number): boolean => {
    if (seen.has(p)) return true;
    seen.add(p);
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, "utf8");
    } catch {
      return false;
    }
    // Fields after the ")" that closes the command name: utime is the 14th field, stime the 15th.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += (Number(f[11]) + Number(f[12])) * TICK_MS;
    for (const c of children(p)) walk(c);
    return true;
  };
  return walk(pid) ? total : null;
}
