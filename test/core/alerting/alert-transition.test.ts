import type { PublishBatchCommand, PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { MemoryPublishLedger } from '../../../adapters/memory-stores.ts';
import { SnsAlertPublisher } from '../../../adapters/sns-alert-publisher.ts';
import {
  InvalidTransitionError,
  parseAlertTransition,
  transitionLabels,
} from '../../../core/alerting/alert-transition.ts';
import { transition as episodeTransition } from '../../adapters/fixtures.ts';

/** An SNS client that accepts every entry and keeps the message bodies. */
function recordingSns() {
  const bodies: string[] = [];
  return {
    bodies,
    client: {
      async send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput> {
        const entries = command.input.PublishBatchRequestEntries ?? [];
        for (const e of entries) bodies.push(e.Message ?? '');
        return {
          Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
          Failed: [],
          $metadata: {},
        };
      },
    },
  };
}

function catching(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('parseAlertTransition', () => {
  it('reads what the SNS alert publisher sends: the input contract between detector and router', async () => {
    const sns = recordingSns();
    const publisher = new SnsAlertPublisher(sns.client, new MemoryPublishLedger(), {
      topicArn: 'arn:aws:sns:eu-west-1:1:anomalies',
    });
    const sent = [
      episodeTransition({ channel: 'cpu', series: 'host-1' }),
      episodeTransition({ kind: 'resolved', lastSeenAt: 1_700_000_900_000 }),
    ];
    await publisher.publish(sent);
    const received = sns.bodies.map((body) => parseAlertTransition(body));
    expect(received).toEqual(
      sent.map((t) => ({ ...t, id: expect.any(String), summary: expect.any(String) })),
    );
    expect(received[0]).toMatchObject({ series: 'host-1', channel: 'cpu' });
  });

  it('reads a body without a channel (an older detector) as the single-value channel', () => {
    const { channel: _dropped, ...old } = episodeTransition();
    expect(parseAlertTransition(JSON.stringify(old)).channel).toBe('value');
  });

  it('names each field and rule of a bad body', () => {
    expect(() => parseAlertTransition('{"kind":"paused","severity":"critical"}')).toThrow(
      InvalidTransitionError,
    );
    const error = catching(() =>
      parseAlertTransition({ ...episodeTransition(), kind: 'paused', peakProbability: 2 }),
    );
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect((error as InvalidTransitionError).issues).toEqual([
      'kind: Invalid option: expected one of "opened"|"escalated"|"resolved"',
      'peakProbability: Too big: expected number to be <=1',
    ]);
    expect(() => parseAlertTransition('not json')).toThrow(/body is not JSON/);
  });
});

describe('transitionLabels', () => {
  it('puts the reserved labels over same-named dimensions, which stay reachable as dimensions.NAME', () => {
    const labels = transitionLabels({ ...episodeTransition({ dimensions: { severity: 'low', host: 'a' } }) });
    expect(labels).toMatchObject({
      severity: 'critical',
      'dimensions.severity': 'low',
      host: 'a',
      channel: 'value',
      kind: 'opened',
    });
  });
});
