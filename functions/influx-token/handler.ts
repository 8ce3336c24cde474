import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { sendOutcome } from './cfn-response.ts';
import { InfluxAdminApi } from './influx-admin-api.ts';
import { handleTokenEvent, NOT_CREATED } from './token-resource.ts';

const secrets = new SecretsManagerClient({});

/**
 * The custom resource Lambda (in the InfluxDB instance's VPC) that creates the detector's write token and
 * stores it in Secrets Manager; see {@link handleTokenEvent}. It always answers CloudFormation, even when
 * something unexpected throws, so a stack never waits an hour for it.
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const log = (message: string, detail?: Record<string, unknown>) =>
    console.log(JSON.stringify({ message, ...detail, requestType: event.RequestType }));
  const outcome = await handleTokenEvent(event, {
    readSecret: async (arn) => {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
      if (!SecretString) throw new Error(`secret ${arn} holds no string value`);
      return SecretString;
    },
    writeSecret: async (arn, value) => {
      await secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }));
    },
    api: (url) => new InfluxAdminApi({ url }),
    log,
  }).catch((error: unknown) => ({
    status: 'FAILED' as const,
    physicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : NOT_CREATED,
    reason: (error as Error).message,
  }));
  log('answering CloudFormation', { status: outcome.status, reason: outcome.reason });
  await sendOutcome(event, outcome);
}
