import { request } from 'node:https';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** What a custom resource reports to CloudFormation. */
export interface CustomResourceOutcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  /** Why it failed, shown in the stack's events. */
  readonly reason?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** Sends one outcome to a URL: the pre-signed S3 URL CloudFormation waits on, by default over HTTPS. */
export type ResponseSender = (url: string, body: string) => Promise<void>;

/**
 * Reports a custom resource's outcome to CloudFormation through the pre-signed S3 URL in the event (in a VPC
 * without internet, that reaches S3 through the gateway endpoint). The body shape is CloudFormation's.
 */
export async function sendOutcome(
  event: CloudFormationCustomResourceEvent,
  outcome: CustomResourceOutcome,
  send: ResponseSender = putHttps,
): Promise<void> {
  const body = JSON.stringify({
    Status: outcome.status,
    Reason: (outcome.reason ?? outcome.status).slice(0, 3000),
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    // The token never travels in the response: CloudFormation would show it in the stack's events.
    NoEcho: true,
    Data: outcome.data ?? {},
  });
  await send(event.ResponseURL, body);
}

/** PUT with an empty content type, as the pre-signed URL expects (the cfn-response module does the same). */
function putHttps(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`response PUT: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
