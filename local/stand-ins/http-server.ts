/**
 * What the HTTP stand-ins share: a server on 127.0.0.1 and a free port, body reading, JSON answers, and a
 * record of what arrived with listeners (the stand-ins print nothing; the local stack's printer listens).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Largest request body a stand-in reads (Slack's own limit on a message is lower). */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** A listening stand-in server: its base URL and how to stop it. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  readonly origin: string;
  readonly port: number;
  /** Closes the server and every open connection, including requests still waiting for a scripted delay. */
  close(): Promise<void>;
}

/** Handles one request whose body has been read. */
export type RequestHandler = (
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
) => Promise<void> | void;

/** Starts `handler` on 127.0.0.1 on a port the OS picks (no race for a "free" port). */
export async function listenLocal(handler: RequestHandler): Promise<LocalServer> {
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler(req, body, res))
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: String(error) });
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads a request body, refusing more than {@link MAX_BODY_BYTES}. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Answers `status` with a JSON body and extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Resolves after `ms`. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a stand-in received, in order, and listeners told of each new entry as it arrives. */
export class Recording<T> {
  private readonly entries: T[] = [];
  private readonly listeners = new Set<(entry: T) => void>();

  /** Every entry so far, oldest first. */
  get all(): readonly T[] {
    return this.entries;
  }

  /** Calls `listener` with each later entry; returns the function that unsubscribes it. */
  listen(listener: (entry: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends an entry and tells the listeners; a listener that throws does not stop the others. */
  add(entry: T): void {
    this.entries.push(entry);
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // A printer's failure must not break the stand-in's answer to the transport.
      }
    }
  }
}

/**
 * Scripted answers consumed in order by the calls they match: each entry answers `count` matching calls.
 * Unmatched calls get the stand-in's normal behaviour.
 */
export class Script<T> {
  private readonly queue: { entry: T; left: number }[] = [];

  /** Queues `entry` for the next `count` calls that `take` lets it match. */
  push(entry: T, count = 1): void {
    if (!Number.isInteger(count) || count < 1)
      throw new RangeError(`count must be an integer >= 1, got ${count}`);
    this.queue.push({ entry, left: count });
  }

  /** The first queued entry `matches` accepts, used up by one; undefined when none matches. */
  take(matches: (entry: T) => boolean = () => true): T | undefined {
    const index = this.queue.findIndex((item) => matches(item.entry));
    const item = this.queue[index];
    if (!item) return undefined;
    item.left -= 1;
    if (item.left === 0) this.queue.splice(index, 1);
    return item.entry;
  }

  /** Entries still queued. */
  get pending(): number {
    return this.queue.reduce((sum, item) => sum + item.left, 0);
  }
}
