import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of every live process, read from /proc (host PID namespace). */
function parents(): Map<number, number> {
  const result = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(Number(entry), Number(fields[1]));
    } catch {
      // Exited while we were reading.
    }
  }
  return result;
}

/**
 * Sends `signal` to `pid` and all its descendants. A command's children may have left its process
 * group (coreutils `timeout`, `setsid`), so the tree is walked rather than the group signalled.
 */
export function killTree(pid: number, signal: NodeJS.Signals): void {
  const parentOf = parents();
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  }
  for (const member of tree) {
    try {
      process.kill(member, signal);
    } catch {
      // Already gone.
    }
  }
}
