import {
  AccountSuspendedException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmailMessage, SesEmailTransport } from '../../../adapters/alerting/ses-email-transport.ts';

const client = new SESv2Client({ region: 'eu-west-1' });
const $metadata = { httpStatusCode: 400 };

function email(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to: ['oncall@example.com'],
    subject: '[CRITICAL] anomaly opened on api/latency',
    text: 'value 812, expected 90..210',
    html: '<p>value <b>812</b>, expected 90..210</p>',
    ...overrides,
  };
}

function transport() {
  return new SesEmailTransport(client, {
    fromAddress: 'Seismo <alerts@example.com>',
    configurationSetName: 'seismo-alerts',
    retryPolicy: { random: () => 0.5 },
    quotaRetryPolicy: { random: () => 0.5 },
  });
}

describe('SesEmailTransport', () => {
  const ses = mockClient(SESv2Client);
  afterEach(() => ses.reset());

  it('sends simple content with both bodies through the configuration set and returns the MessageId', async () => {
    // Prepare
    ses.on(SendEmailCommand).resolves({ MessageId: '0102018f-abc' });

    // Act
    const outcome = await transport().send(
      email({
        cc: ['lead@example.com'],
        subject: 'line one\r\nline two',
        headers: [{ name: 'X-Seismo-Alert-Id', value: 'e1' }],
        tags: { kind: 'opened' },
      }),
    );

    // Assess
    expect(outcome).toEqual({ kind: 'delivered', receipt: { messageId: '0102018f-abc' } });
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: 'Seismo <alerts@example.com>',
      Destination: { ToAddresses: ['oncall@example.com'], CcAddresses: ['lead@example.com'] },
      ConfigurationSetName: 'seismo-alerts',
      EmailTags: [{ Name: 'kind', Value: 'opened' }],
      Content: {
        Simple: {
          Subject: { Data: 'line one line two', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'value 812, expected 90..210', Charset: 'UTF-8' },
            Html: { Data: '<p>value <b>812</b>, expected 90..210</p>', Charset: 'UTF-8' },
          },
          Headers: [{ Name: 'X-Seismo-Alert-Id', Value: 'e1' }],
        },
      },
    });
  });

  it('retries throttling with backoff by attempt', async () => {
    // Prepare
    ses
      .on(SendEmailCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata }));

    // Act
    const tooMany = await transport().send(email(), { attempt: 1 });
    const throttled = await transport().send(email(), { attempt: 4 });

    // Assess
    expect(tooMany).toMatchObject({
      kind: 'retry-later',
      code: 'TooManyRequestsException',
      delayMs: 1_000,
      maybeDelivered: false,
    });
    expect(tooMany.kind === 'retry-later' && tooMany.reason).toContain('Maximum sending rate exceeded');
    expect(throttled).toMatchObject({ kind: 'retry-later', code: 'ThrottlingException', delayMs: 8_000 });
  });

  it('retries a quota (LimitExceededException) a minute or more later', async () => {
    // Prepare
    ses
      .on(SendEmailCommand)
      .rejects(new LimitExceededException({ message: 'Daily message quota exceeded.', $metadata }));

    // Act
    const outcome = await transport().send(email());

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry-later', code: 'LimitExceededException' });
    expect(outcome.kind === 'retry-later' && outcome.delayMs).toBeGreaterThanOrEqual(60_000);
  });

  it('dead-letters a sandbox rejection with the reason and what to do, without retrying', async () => {
    // Prepare
    const said =
      'Email address is not verified. The following identities failed the check: oncall@example.com';
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: said, $metadata }));

    // Act
    const outcome = await transport().send(email());

    // Assess
    expect(outcome).toMatchObject({
      kind: 'permanent',
      code: 'MessageRejected',
      scope: 'message',
      status: 400,
    });
    expect(outcome.kind === 'permanent' && outcome.reason).toContain(said);
    expect(outcome.kind === 'permanent' && outcome.reason).toContain('sandbox');
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  it.each([
    [
      'MailFromDomainNotVerifiedException',
      new MailFromDomainNotVerifiedException({ message: 'no', $metadata }),
    ],
    ['AccountSuspendedException', new AccountSuspendedException({ message: 'no', $metadata })],
    ['SendingPausedException', new SendingPausedException({ message: 'no', $metadata })],
  ])('reports %s as permanent for the whole channel', async (code, error) => {
    // Prepare
    ses.on(SendEmailCommand).rejects(error);

    // Act
    const outcome = await transport().send(email());

    // Assess
    expect(outcome).toMatchObject({ kind: 'permanent', code, scope: 'channel' });
  });

  it('retries a 5xx from SES', async () => {
    // Prepare
    const internal = new SESv2ServiceException({
      name: 'InternalFailure',
      $fault: 'server',
      message: 'internal error',
      $metadata: { httpStatusCode: 500 },
    });
    ses.on(SendEmailCommand).rejects(internal);

    // Act
    const outcome = await transport().send(email());

    // Assess
    expect(outcome).toMatchObject({ kind: 'retry-later', code: 'InternalFailure', status: 500 });
  });

  it('retries when no answer came back, flagging that the email may have gone out', async () => {
    // Prepare
    ses
      .on(SendEmailCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .rejectsOnce(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

    // Act
    const reset = await transport().send(email());
    const refused = await transport().send(email());

    // Assess
    expect(reset).toMatchObject({ kind: 'retry-later', code: 'ECONNRESET', maybeDelivered: true });
    expect(refused).toMatchObject({ kind: 'retry-later', code: 'ECONNREFUSED', maybeDelivered: false });
  });

  it('refuses an email SES would refuse, without calling it', async () => {
    // Prepare
    const many = Array.from({ length: 51 }, (_, i) => `user${i}@example.com`);

    // Act
    const tooMany = await transport().send(email({ to: many }));
    const nobody = await transport().send(email({ to: [] }));

    // Assess
    expect(tooMany).toMatchObject({ kind: 'permanent', code: 'too-many-recipients', scope: 'message' });
    expect(nobody).toMatchObject({ kind: 'permanent', code: 'invalid-message' });
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });
});
