import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceOutcome } from './cfn-response.ts';
import type { InfluxAdminApi } from './influx-admin-api.ts';

/** The physical id of a token that was never created: deleting it has nothing to do. */
export const NOT_CREATED = 'influx-token-not-created';

/** What the stack passes the custom resource (CloudFormation resolves the tokens). */
export interface TokenResourceProperties {
  /** The instance's base URL, `https://<endpoint>:8086`. */
  readonly InfluxUrl: string;
  /** The secret holding `{"username", "password"}` of the instance's admin. */
  readonly AdminSecretArn: string;
  /** The secret the detector reads its token from; this resource writes it. */
  readonly TokenSecretArn: string;
  readonly Org: string;
  readonly Bucket: string;
  /** Shown beside the token in InfluxDB, so a person knows what it is for. */
  readonly Description: string;
}

/** What the resource needs from the world; the Lambda entry point passes Secrets Manager and fetch. */
export interface TokenResourceDeps {
  readSecret(arn: string): Promise<string>;
  writeSecret(arn: string, value: string): Promise<void>;
  api(
    url: string,
  ): Pick<InfluxAdminApi, 'signIn' | 'orgId' | 'bucketId' | 'createWriteToken' | 'deleteAuthorization'>;
  /** Waits between sign-in attempts; the instance's DNS name can take a minute to resolve after it is created. */
  sleep?(ms: number): Promise<void>;
  log?(message: string, detail?: Record<string, unknown>): void;
}

/** Attempts at signing in, 15 s apart: about 3.5 minutes, inside the function's 5-minute timeout. */
const SIGN_IN_ATTEMPTS = 15;
const SIGN_IN_DELAY_MS = 15_000;

/**
 * The custom resource that gives the detector its InfluxDB token without a manual step. Create (and Update,
 * which CloudFormation follows with a Delete of the old id): sign in as the admin, create a token that may
 * write to the bucket and nothing else, store it in the detector's secret; the authorization's id is the
 * physical id. Delete: delete that authorization. A Delete that cannot reach InfluxDB reports success with the
 * reason, so that deleting the stack (which deletes the instance right after) never hangs on it.
 */
export async function handleTokenEvent(
  event: CloudFormationCustomResourceEvent,
  deps: TokenResourceDeps,
): Promise<CustomResourceOutcome> {
  const props = event.ResourceProperties as unknown as TokenResourceProperties;
  if (event.RequestType === 'Delete') {
    const id = event.PhysicalResourceId;
    if (id === NOT_CREATED) return { status: 'SUCCESS', physicalResourceId: id };
    try {
      const api = await signedIn(props, deps, 1);
      await api.deleteAuthorization(id);
      return { status: 'SUCCESS', physicalResourceId: id };
    } catch (error) {
      const reason = `token ${id} left in InfluxDB: ${(error as Error).message}`;
      deps.log?.(reason);
      return { status: 'SUCCESS', physicalResourceId: id, reason };
    }
  }
  const previous = event.RequestType === 'Update' ? event.PhysicalResourceId : NOT_CREATED;
  try {
    const api = await signedIn(props, deps, SIGN_IN_ATTEMPTS);
    const orgId = await api.orgId(props.Org);
    const bucketId = await api.bucketId(orgId, props.Bucket);
    const { id, token } = await api.createWriteToken(orgId, bucketId, props.Description);
    await deps.writeSecret(props.TokenSecretArn, token);
    deps.log?.('write token created and stored', { authorization: id, bucket: props.Bucket });
    return { status: 'SUCCESS', physicalResourceId: id };
  } catch (error) {
    return { status: 'FAILED', physicalResourceId: previous, reason: (error as Error).message };
  }
}

async function signedIn(props: TokenResourceProperties, deps: TokenResourceDeps, attempts: number) {
  const { username, password } = adminCredentials(await deps.readSecret(props.AdminSecretArn));
  const api = deps.api(props.InfluxUrl);
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      await api.signIn(username, password);
      return api;
    } catch (error) {
      // An HTTP answer (wrong password) will not change; only an unreachable instance is worth waiting for.
      if (attempt >= attempts || (error as { status?: number }).status !== undefined) throw error;
      deps.log?.('InfluxDB not reachable yet; retrying', { attempt, error: (error as Error).message });
      await sleep(SIGN_IN_DELAY_MS);
    }
  }
}

function adminCredentials(secret: string): { username: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new Error('the admin secret is not JSON {"username", "password"}');
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new Error('the admin secret lacks a string "username" or "password"');
  }
  return { username, password };
}
