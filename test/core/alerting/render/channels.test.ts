import { describe, expect, it } from 'vitest';
import { renderActionPage } from '../../../../core/alerting/render/action-page.ts';
import { renderEmail } from '../../../../core/alerting/render/email.ts';
import { PAGERDUTY_SUMMARY_MAX, renderPagerDuty } from '../../../../core/alerting/render/pagerduty.ts';
import {
  renderWebhook,
  webhookBodyJsonSchema,
  webhookBodySchema,
} from '../../../../core/alerting/render/webhook.ts';
import { createSilence } from '../../../../core/alerting/silences.ts';
import { hostile, sample } from './render-fixtures.ts';

const XSS = '<script>alert(1)</script>"onmouseover="x';

describe('renderEmail', () => {
  it('has a subject, a text body and an HTML body saying the same', () => {
    const { n, links } = sample('opened');
    const mail = renderEmail(n, links);
    expect(mail.subject).toBe('[Seismo] CRITICAL FIRING: checkout/latency');
    expect(mail.text).toContain('Expected range: 31.05 to 76.31');
    expect(mail.text).toContain('Peak: 1 in 340 million');
    expect(mail.html).toContain('<td>31.05 to 76.31</td>');
    // The ack link is the confirm page; the email itself changes nothing.
    expect(mail.html).toContain(`<a href="${links.ack}">Acknowledge</a>`);
    expect(mail.text).toContain(`Acknowledge: ${links.ack}`);
  });

  it('escapes attacker-controlled names in HTML and keeps the subject on one line', () => {
    const { n, links } = sample('opened');
    const mail = renderEmail(hostile(n, `${XSS}\r\nBcc: victim@example.com`), links);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=&quot;x');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject.length).toBeLessThanOrEqual(200);
  });

  it('never turns a non-http link into an href', () => {
    const { n } = sample('opened');
    const mail = renderEmail(n, { ack: 'javascript:alert(1)', dashboard: 'https://ok.example.com/' });
    expect(mail.html).not.toContain('javascript:');
    expect(mail.html).toContain('https://ok.example.com/');
  });

  it('lists a big group with a "+N more" line and renders notices', () => {
    const mail = renderEmail(sample('opened', 80).n);
    expect(mail.text).toContain('+30 more series');
    const silence = createSilence(
      {
        matchers: [{ name: 'series', op: '=', value: 'db' }],
        startsAt: 0,
        endsAt: 3_600_000,
        author: 'ana',
        comment: XSS,
      },
      0,
    );
    const reminder = renderEmail({
      kind: 'silence-expiring',
      id: 's',
      revision: 1,
      at: 2_700_000,
      silence,
      endsAt: 3_600_000,
    });
    expect(reminder.subject).toBe(`[Seismo] Silence ${silence.id} ends 1970-01-01 01:00 UTC`);
    expect(reminder.html).not.toContain('<script>');
  });
});

describe('renderWebhook', () => {
  it('sends versioned bodies that match the published schema, for every kind', () => {
    for (const kind of ['opened', 'updated', 'escalated', 'acknowledged', 'resolved'] as const) {
      const { n, links } = sample(kind, kind === 'updated' ? 2 : 1);
      const body = renderWebhook(n, links);
      expect(body.type).toBe(`seismo.episode.${kind}`);
      expect(webhookBodySchema.parse(JSON.parse(JSON.stringify(body)))).toEqual(body);
    }
    const { n } = sample('resolved');
    const body = renderWebhook(n);
    expect(body).toMatchObject({ version: 1, id: n.id, timestamp: '2026-11-22T15:55:00.000Z' });
    expect(body.data).toMatchObject({
      revision: n.revision,
      incident: { status: 'resolved', resolvedAt: '2026-11-22T15:55:00.000Z' },
    });
  });

  it('publishes a JSON Schema of the body', () => {
    const schema = JSON.stringify(webhookBodyJsonSchema());
    expect(schema).toContain('seismo.episode.opened');
    expect(schema).toContain('seismo.silence.expiring');
  });

  it('carries at most 100 members and counts the rest', () => {
    const body = renderWebhook(sample('opened', 150).n);
    expect(body.data).toMatchObject({ incident: { memberCount: 150, omittedMembers: 50 } });
  });
});

describe('renderPagerDuty', () => {
  it('triggers, acknowledges and resolves one PagerDuty incident keyed by the incident id', () => {
    const opened = sample('opened');
    const trigger = renderPagerDuty(opened.n, opened.links);
    expect(trigger).toMatchObject({
      event_action: 'trigger',
      dedup_key: opened.n.incident.id,
      payload: { severity: 'critical', source: 'checkout/latency', class: 'anomaly' },
    });
    expect(trigger?.payload?.summary).toBe(
      '[CRITICAL] checkout/latency: value 92.61, expected 31.05 to 76.31, 1 in 340 million',
    );
    expect(renderPagerDuty(sample('acknowledged').n)).toEqual({
      event_action: 'acknowledge',
      dedup_key: opened.n.incident.id,
    });
    expect(renderPagerDuty(sample('resolved').n)).toEqual({
      event_action: 'resolve',
      dedup_key: opened.n.incident.id,
    });
    expect(JSON.stringify(trigger)).not.toContain('routing_key');
  });

  it('maps warning to warning (low urgency), and keeps the summary within 1,024 characters', () => {
    const { n } = sample('opened');
    const warning = { ...n, incident: { ...n.incident, severity: 'warning' as const } };
    expect(renderPagerDuty(warning)?.payload?.severity).toBe('warning');
    const long = renderPagerDuty(hostile(n, 'x'.repeat(5000)));
    expect(Array.from(long?.payload?.summary ?? '').length).toBeLessThanOrEqual(PAGERDUTY_SUMMARY_MAX);
  });

  it('does not send digests or silence reminders to PagerDuty', () => {
    expect(
      renderPagerDuty({
        kind: 'digest',
        id: 'd',
        revision: 1,
        at: 0,
        routeId: 'r',
        items: [],
        omitted: 0,
        from: 0,
        to: 0,
      }),
    ).toBeNull();
  });
});

describe('renderActionPage', () => {
  it('shows a page whose only action is a POST, with everything escaped', () => {
    const { n } = sample('opened');
    const page = renderActionPage({
      incident: hostile(n, XSS).incident,
      action: 'ack',
      postUrl: 'https://seismo.example.com/act/ack',
      fields: { t: 'tok"en' },
    });
    expect(page).toContain('<form method="post" action="https://seismo.example.com/act/ack">');
    expect(page).toContain('value="tok&quot;en"');
    expect(page).not.toContain('<script>');
  });
});
