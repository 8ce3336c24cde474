// Preloaded into every emulator process (`node --import <this file>`, see emulators.ts), before the emulator's
// own code runs. Plain JavaScript: the emulators run on bare Node, without the tsx loader.
//
// 1. Loopback only. kinesis-mock has no host setting: it hard-codes 0.0.0.0, which Node turns into a socket
//    on every interface, IPv4 and IPv6. An unauthenticated Kinesis and DynamoDB on the LAN would let anyone
//    read and write the stack's data, so every TCP listen in this process is bound to 127.0.0.1, whatever
//    host the emulator asks for. A listen on a path (IPC) or an inherited handle is left alone.
// 2. Never outlive the parent. The parent spawns the emulator with an IPC channel, which the OS closes when the
//    parent dies in any way (SIGKILL included); the emulator exits then.
import net from 'node:net';

const LOOPBACK = '127.0.0.1';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  return listen.apply(this, onLoopback(args));
};

/** The same `listen` arguments with the host forced to loopback when they describe a TCP port. */
function onLoopback(args) {
  const [first, ...rest] = args;
  if (first === undefined || typeof first === 'function') {
    // listen([cb]): a random port on every interface.
    return [0, LOOPBACK, ...args.filter((a) => typeof a === 'function')];
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    // listen(port[, host][, backlog][, cb])
    const hostGiven = rest.length > 0 && (typeof rest[0] === 'string' || rest[0] == null);
    return [first, LOOPBACK, ...(hostGiven ? rest.slice(1) : rest)];
  }
  if (typeof first === 'object' && first !== null) {
    // listen(options[, cb]), unless the options name a path or a handle rather than a port.
    if ('path' in first || 'fd' in first || 'handle' in first || '_handle' in first) return args;
    return [{ ...first, host: LOOPBACK }, ...rest];
  }
  // listen(path[, backlog][, cb]) or listen(handle, ...): not a TCP port.
  return args;
}

process.on('disconnect', () => process.exit(0));
