import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * The TCP sockets a process listens on, as the kernel sees them (Linux `/proc`): the process's socket inodes
 * from `/proc/PID/fd`, matched against the LISTEN rows of `/proc/net/tcp` and `/proc/net/tcp6`. No `ss` or
 * `netstat` needed, and no guessing from what the process printed.
 */

/** One listening socket: its local address (IPv4 dotted, IPv6 compressed) and port. */
export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
}

/** True where the kernel publishes sockets under /proc (Linux). */
export const CAN_READ_SOCKETS = await readFile('/proc/net/tcp', 'utf8').then(
  () => true,
  () => false,
);

const LISTEN = '0A';

/** Every TCP socket `pid` listens on; throws if the process is gone. */
export async function listeningSockets(pid: number): Promise<ListeningSocket[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const sockets: ListeningSocket[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const row of rows) {
      const fields = row.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      if (!local || state !== LISTEN || !inode || !inodes.has(inode)) continue;
      const [hex, port] = local.split(':') as [string, string];
      sockets.push({ address: addressOf(hex), port: Number.parseInt(port, 16) });
    }
  }
  return sockets;
}

/** `/proc/net/tcp*` addresses are 32-bit words in host byte order (little-endian here). */
function addressOf(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  }
  // The URL parser prints an IPv6 address in its canonical compressed form.
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}
