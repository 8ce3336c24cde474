import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A permission as InfluxDB 2.x stores it on an authorization. */
export interface StubPermission {
  readonly action: string;
  readonly resource: { readonly type: string; readonly id?: string; readonly orgID?: string };
}

/** An InfluxDB 2.x admin API stand-in on 127.0.0.1: the calls the token custom resource makes, as 2.x answers them. */
export interface InfluxAdminStub {
  readonly url: string;
  /** Authorizations by id, as created and not deleted. */
  readonly authorizations: Map<string, { token: string; description: string; permissions: StubPermission[] }>;
  /** Every request, as `METHOD path`. */
  readonly requests: string[];
  stop(): Promise<void>;
}

/**
 * Starts the stand-in with one user, one organization and one bucket. Like InfluxDB 2.x, `/api/v2/signin`
 * takes basic auth and sets an `influxdb-oss-session` cookie; every other call without that cookie is 401;
 * deleting an unknown authorization is 404.
 */
export async function startInfluxAdminStub(options: {
  username: string;
  password: string;
  org: string;
  bucket: string;
}): Promise<InfluxAdminStub> {
  const orgId = '0a1b2c3d4e5f6a7b';
  const bucketId = '1122334455667788';
  const sessions = new Set<string>();
  const authorizations: InfluxAdminStub['authorizations'] = new Map();
  const requests: string[] = [];
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    requests.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'POST' && url.pathname === '/api/v2/signin') {
      const expected = Buffer.from(`${options.username}:${options.password}`).toString('base64');
      if (req.headers.authorization !== `Basic ${expected}`) return json(res, 401, { code: 'unauthorized' });
      const session = randomUUID();
      sessions.add(session);
      res.writeHead(204, { 'set-cookie': `influxdb-oss-session=${session}; Path=/api/; HttpOnly` }).end();
      return;
    }
    const session = /influxdb-oss-session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!session || !sessions.has(session)) return json(res, 401, { code: 'unauthorized' });
    if (req.method === 'GET' && url.pathname === '/api/v2/orgs') {
      const orgs = url.searchParams.get('org') === options.org ? [{ id: orgId, name: options.org }] : [];
      return json(res, orgs.length ? 200 : 404, { orgs });
    }
    if (req.method === 'GET' && url.pathname === '/api/v2/buckets') {
      const match =
        url.searchParams.get('orgID') === orgId && url.searchParams.get('name') === options.bucket;
      return json(res, 200, { buckets: match ? [{ id: bucketId, name: options.bucket }] : [] });
    }
    if (req.method === 'POST' && url.pathname === '/api/v2/authorizations') {
      const { description, permissions } = JSON.parse(body) as {
        description: string;
        permissions: StubPermission[];
      };
      const id = randomUUID().replaceAll('-', '').slice(0, 16);
      const token = `tok-${randomUUID()}`;
      authorizations.set(id, { token, description, permissions });
      return json(res, 201, { id, token, description, permissions, orgID: orgId, status: 'active' });
    }
    const deletion = /^\/api\/v2\/authorizations\/(\w+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && deletion?.[1]) {
      if (!authorizations.delete(deletion[1])) return json(res, 404, { code: 'not found' });
      res.writeHead(204).end();
      return;
    }
    json(res, 404, { code: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    authorizations,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
