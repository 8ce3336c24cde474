import { describe, expect, it } from 'vitest';
import { startAlertStandIns } from '../../../local/stand-ins/alert-stand-ins.ts';

describe('startAlertStandIns', () => {
  it('starts the four channel stand-ins on distinct loopback ports and stops them all', async () => {
    // Prepare, Act
    const standIns = await startAlertStandIns();
    const urls = [standIns.slack.url, standIns.webhook.url, standIns.email.endpoint, standIns.pagerduty.url];
    const ports = urls.map((url) => new URL(url).port);
    await standIns.stop();

    // Assess
    for (const url of urls) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(new Set(ports).size).toBe(4);
    for (const url of urls) await expect(fetch(url, { method: 'POST' })).rejects.toThrow();
  });
});
