/**
 * The few InfluxDB 2.x API calls that turn the admin's username and password (what Amazon Timestream for
 * InfluxDB puts in Secrets Manager when it creates an instance) into an API token the detector can write with:
 * sign in for a session, find the organization and bucket, create a write-only authorization for that bucket.
 */

/** An InfluxDB API call answered with an unexpected status; names the call and what the server said. */
export class InfluxAdminError extends Error {
  override readonly name = 'InfluxAdminError';
  constructor(
    message: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Options of {@link InfluxAdminApi}. */
export interface InfluxAdminApiOptions {
  /** The instance's base URL, e.g. `https://<endpoint>:8086`. */
  readonly url: string;
  /** The fetch to use; the global one by default. */
  readonly fetch?: typeof fetch;
}

/** A created authorization: its id (to delete it later) and the token itself. */
export interface WriteToken {
  readonly id: string;
  readonly token: string;
}

/** A session-authenticated client of the InfluxDB 2.x API, for the admin calls Seismo needs. */
export class InfluxAdminApi {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private session: string | undefined;

  constructor(options: InfluxAdminApiOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Signs in with a user's password (basic auth on `/api/v2/signin`) and keeps the session cookie. */
  async signIn(username: string, password: string): Promise<void> {
    const basic = Buffer.from(`${username}:${password}`).toString('base64');
    const response = await this.fetch(`${this.base}/api/v2/signin`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
    });
    await expectStatus(response, [204, 200], `sign in as ${username}`);
    const cookie = response.headers.get('set-cookie');
    const session = cookie?.split(';')[0];
    if (!session) throw new InfluxAdminError(`sign in as ${username}: no session cookie in the answer`);
    this.session = session;
  }

  /** The id of the organization named `name`. */
  async orgId(name: string): Promise<string> {
    const body = await this.get<{ orgs?: { id: string; name: string }[] }>(
      `/api/v2/orgs?org=${encodeURIComponent(name)}`,
      `find organization ${name}`,
    );
    const org = body.orgs?.find((o) => o.name === name);
    if (!org) throw new InfluxAdminError(`organization ${JSON.stringify(name)} does not exist`);
    return org.id;
  }

  /** The id of the bucket named `name` in an organization. */
  async bucketId(orgId: string, name: string): Promise<string> {
    const body = await this.get<{ buckets?: { id: string; name: string }[] }>(
      `/api/v2/buckets?orgID=${encodeURIComponent(orgId)}&name=${encodeURIComponent(name)}`,
      `find bucket ${name}`,
    );
    const bucket = body.buckets?.find((b) => b.name === name);
    if (!bucket) throw new InfluxAdminError(`bucket ${JSON.stringify(name)} does not exist`);
    return bucket.id;
  }

  /** Creates an authorization that may write to one bucket and do nothing else. */
  async createWriteToken(orgId: string, bucketId: string, description: string): Promise<WriteToken> {
    const response = await this.fetch(`${this.base}/api/v2/authorizations`, {
      method: 'POST',
      headers: { ...this.auth(), 'content-type': 'application/json' },
      body: JSON.stringify({
        orgID: orgId,
        description,
        permissions: [{ action: 'write', resource: { type: 'buckets', id: bucketId, orgID: orgId } }],
      }),
    });
    await expectStatus(response, [201], 'create a write token');
    const { id, token } = (await response.json()) as { id?: string; token?: string };
    if (!id || !token) throw new InfluxAdminError('create a write token: the answer has no id or token');
    return { id, token };
  }

  /** Deletes an authorization; one that is already gone counts as deleted. */
  async deleteAuthorization(id: string): Promise<void> {
    const response = await this.fetch(`${this.base}/api/v2/authorizations/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: this.auth(),
    });
    await expectStatus(response, [204, 404], `delete authorization ${id}`);
  }

  private async get<T>(path: string, what: string): Promise<T> {
    const response = await this.fetch(`${this.base}${path}`, { headers: this.auth() });
    await expectStatus(response, [200], what);
    return (await response.json()) as T;
  }

  private auth(): Record<string, string> {
    if (!this.session) throw new InfluxAdminError('not signed in');
    return { cookie: this.session };
  }
}

async function expectStatus(response: Response, ok: readonly number[], what: string): Promise<void> {
  if (ok.includes(response.status)) return;
  const text = (await response.text().catch(() => '')).slice(0, 300);
  throw new InfluxAdminError(`${what}: HTTP ${response.status} ${text}`.trim(), response.status);
}
