import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesEmailTransport } from '../../adapters/alerting/ses-email-transport.ts';
import { ALERTING_ENV, required } from '../alerting/environment.ts';
import { senderLambda } from '../send/production.ts';
import { emailDelivery } from './email-delivery.ts';

/** The email sender: SES v2 with two SDK attempts (the queue retries the rest), from the configured identity. */
export const handler = senderLambda('email', ({ tracer, env }) =>
  emailDelivery(
    new SesEmailTransport(tracer.captureAWSv3Client(new SESv2Client({ maxAttempts: 2 })), {
      fromAddress: required(env, ALERTING_ENV.emailFrom),
      configurationSetName: required(env, ALERTING_ENV.emailConfigurationSet),
    }),
  ),
);
