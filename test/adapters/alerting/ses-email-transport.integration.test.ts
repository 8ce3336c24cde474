import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SesEmailTransport } from '../../../adapters/alerting/ses-email-transport.ts';
import { localSesClient, type SesStandIn, startSesStandIn } from '../../../local/stand-ins/ses-stand-in.ts';

const message = {
  to: ['oncall@example.com'],
  subject: '[CRITICAL] anomaly opened on demo',
  text: 'value 92.61, expected 31.05..76.31',
  html: '<p>value <b>92.61</b>, expected 31.05..76.31</p>',
  tags: { kind: 'opened' },
};

describe('SesEmailTransport against the local SES v2 emulator', () => {
  let ses: SesStandIn;
  let client: SESv2Client;
  let subject: SesEmailTransport;

  beforeAll(async () => {
    ses = await startSesStandIn();
    client = localSesClient(ses.endpoint);
    subject = new SesEmailTransport(client, {
      fromAddress: 'alerts@seismo.local',
      configurationSetName: 'seismo-local',
      retryPolicy: { random: () => 0 },
    });
  });
  afterAll(async () => {
    client.destroy();
    await ses.stop();
  });

  it('delivers through the same SDK call as production and the stand-in records the whole email', async () => {
    // Prepare, Act
    const outcome = await subject.send(message);

    // Assess
    expect(outcome).toMatchObject({
      kind: 'delivered',
      receipt: { messageId: expect.stringMatching(/^ses-\d+$/) },
    });
    const messageId = outcome.kind === 'delivered' ? outcome.receipt.messageId : '';
    expect(ses.emails.at(-1)).toMatchObject({
      messageId,
      from: 'alerts@seismo.local',
      to: ['oncall@example.com'],
      subject: message.subject,
      text: message.text,
      html: message.html,
      configurationSetName: 'seismo-local',
      tags: { kind: 'opened' },
    });
    // The emulator itself has it too, for its web viewer.
    const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as {
      emails: { messageId: string }[];
    };
    expect(store.emails.map((e) => e.messageId)).toContain(messageId);
  });

  it("turns SES's wire errors, read by the real SDK deserializer, into the same outcomes", async () => {
    // Prepare
    ses.failNext({ name: 'MessageRejected', message: 'Email address is not verified.' });
    ses.failNext({ name: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' });
    ses.failNext({ name: 'SendingPausedException', message: 'Sending is paused for this account.' });
    const before = ses.emails.length;

    // Act
    const rejected = await subject.send(message);
    const throttled = await subject.send(message);
    const paused = await subject.send(message);

    // Assess
    expect(rejected).toMatchObject({
      kind: 'permanent',
      code: 'MessageRejected',
      scope: 'message',
      status: 400,
    });
    expect(rejected.kind === 'permanent' && rejected.reason).toContain('Email address is not verified.');
    expect(throttled).toMatchObject({ kind: 'retry-later', code: 'TooManyRequestsException', status: 429 });
    expect(paused).toMatchObject({ kind: 'permanent', code: 'SendingPausedException', scope: 'channel' });
    expect(ses.emails.length).toBe(before);
  });

  it('serves the emulator web viewer for a person', async () => {
    // Prepare, Act
    const page = await fetch(ses.viewerUrl);

    // Assess
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });
});
