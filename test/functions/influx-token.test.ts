import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendOutcome } from '../../functions/influx-token/cfn-response.ts';
import { InfluxAdminApi } from '../../functions/influx-token/influx-admin-api.ts';
import {
  handleTokenEvent,
  NOT_CREATED,
  type TokenResourceDeps,
} from '../../functions/influx-token/token-resource.ts';
import { type InfluxAdminStub, startInfluxAdminStub } from '../support/influx-v2-admin-stub.ts';

const ADMIN = { username: 'seismo-admin', password: 'correct horse battery staple' };
const ADMIN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin';
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token';

function event(
  type: 'Create' | 'Update' | 'Delete',
  url: string,
  overrides: Record<string, string> = {},
  physicalId?: string,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:token',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/seismo-dev/1',
    RequestId: 'req-1',
    LogicalResourceId: 'storageinfluxwritetoken',
    ResourceType: 'Custom::InfluxWriteToken',
    ResourceProperties: {
      ServiceToken: 'x',
      InfluxUrl: url,
      AdminSecretArn: ADMIN_ARN,
      TokenSecretArn: TOKEN_ARN,
      Org: 'seismo',
      Bucket: 'seismo',
      Description: 'seismo-dev detector: write seismo',
      ...overrides,
    },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: physicalId ?? NOT_CREATED,
      OldResourceProperties: common.ResourceProperties,
    };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalId ?? NOT_CREATED };
}

describe('InfluxDB write-token custom resource', () => {
  let influx: InfluxAdminStub;
  let secrets: Map<string, string>;
  let deps: TokenResourceDeps;

  beforeEach(async () => {
    influx = await startInfluxAdminStub({ ...ADMIN, org: 'seismo', bucket: 'seismo' });
    secrets = new Map([[ADMIN_ARN, JSON.stringify(ADMIN)]]);
    deps = {
      readSecret: async (arn) => {
        const value = secrets.get(arn);
        if (value === undefined) throw new Error(`no secret ${arn}`);
        return value;
      },
      writeSecret: async (arn, value) => {
        secrets.set(arn, value);
      },
      api: (url) => new InfluxAdminApi({ url }),
      sleep: async () => {},
    };
  });
  afterEach(() => influx.stop());

  it('creates a token that may write to the bucket and nothing else, and stores it for the detector', async () => {
    // Act
    const outcome = await handleTokenEvent(event('Create', influx.url), deps);

    // Assess
    expect(outcome.status).toBe('SUCCESS');
    const created = influx.authorizations.get(outcome.physicalResourceId);
    expect(created?.permissions).toEqual([
      { action: 'write', resource: { type: 'buckets', id: '1122334455667788', orgID: '0a1b2c3d4e5f6a7b' } },
    ]);
    expect(created?.description).toBe('seismo-dev detector: write seismo');
    expect(secrets.get(TOKEN_ARN)).toBe(created?.token);
  });

  it('on update issues a new token; the delete CloudFormation then sends revokes the old one', async () => {
    // Prepare
    const first = await handleTokenEvent(event('Create', influx.url), deps);

    // Act
    const second = await handleTokenEvent(event('Update', influx.url, {}, first.physicalResourceId), deps);
    const cleanup = await handleTokenEvent(event('Delete', influx.url, {}, first.physicalResourceId), deps);

    // Assess
    expect(second.status).toBe('SUCCESS');
    expect(second.physicalResourceId).not.toBe(first.physicalResourceId);
    expect(cleanup.status).toBe('SUCCESS');
    expect([...influx.authorizations.keys()]).toEqual([second.physicalResourceId]);
    expect(secrets.get(TOKEN_ARN)).toBe(influx.authorizations.get(second.physicalResourceId)?.token);
  });

  it('fails the create with the reason when the bucket does not exist, leaving nothing to delete', async () => {
    // Act
    const outcome = await handleTokenEvent(event('Create', influx.url, { Bucket: 'nope' }), deps);

    // Assess
    expect(outcome).toEqual({
      status: 'FAILED',
      physicalResourceId: NOT_CREATED,
      reason: 'bucket "nope" does not exist',
    });
    expect(secrets.has(TOKEN_ARN)).toBe(false);
  });

  it('fails at once on a wrong password (an answer that will not change), naming the call', async () => {
    // Prepare
    secrets.set(ADMIN_ARN, JSON.stringify({ ...ADMIN, password: 'wrong' }));
    let waits = 0;

    // Act
    const outcome = await handleTokenEvent(event('Create', influx.url), {
      ...deps,
      sleep: async () => {
        waits += 1;
      },
    });

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(outcome.reason).toMatch(/^sign in as seismo-admin: HTTP 401/);
    expect(waits).toBe(0);
  });

  it('waits for an instance that does not answer yet, then gives up with the reason', async () => {
    // Prepare
    await influx.stop();
    let waits = 0;

    // Act
    const outcome = await handleTokenEvent(event('Create', influx.url), {
      ...deps,
      sleep: async () => {
        waits += 1;
      },
    });

    // Assess
    expect(outcome.status).toBe('FAILED');
    expect(waits).toBe(14);
    influx = await startInfluxAdminStub({ ...ADMIN, org: 'seismo', bucket: 'seismo' });
  });

  it('reports a delete it cannot carry out as done, with the reason, so stack deletion never hangs', async () => {
    // Prepare
    await influx.stop();

    // Act
    const outcome = await handleTokenEvent(event('Delete', influx.url, {}, 'abc123'), deps);

    // Assess
    expect(outcome.status).toBe('SUCCESS');
    expect(outcome.reason).toMatch(/^token abc123 left in InfluxDB: /);
    influx = await startInfluxAdminStub({ ...ADMIN, org: 'seismo', bucket: 'seismo' });
  });

  it('answers CloudFormation in its response shape, the token never in it', async () => {
    // Prepare
    const outcome = await handleTokenEvent(event('Create', influx.url), deps);
    const sent: { url: string; body: string }[] = [];

    // Act
    await sendOutcome(event('Create', influx.url), outcome, async (url, body) => {
      sent.push({ url, body });
    });

    // Assess
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]?.body ?? '{}')).toEqual({
      Status: 'SUCCESS',
      Reason: 'SUCCESS',
      PhysicalResourceId: outcome.physicalResourceId,
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/seismo-dev/1',
      RequestId: 'req-1',
      LogicalResourceId: 'storageinfluxwritetoken',
      NoEcho: true,
      Data: {},
    });
    expect(sent[0]?.body).not.toContain(secrets.get(TOKEN_ARN));
  });
});
