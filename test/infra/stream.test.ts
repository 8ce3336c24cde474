import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { StreamConfig } from '../../infra/config.ts';
import { SeismoStream } from '../../infra/constructs/stream.ts';
import { testApp } from './support.ts';

function streamTemplate(capacity: StreamConfig): Template {
  const stack = new Stack(testApp(), 'test');
  new SeismoStream(stack, 'ingest', { capacity, removalPolicy: RemovalPolicy.DESTROY });
  return Template.fromStack(stack);
}

describe('SeismoStream', () => {
  it('encrypts the stream with its own rotating KMS key', () => {
    // Act
    const template = streamTemplate({ mode: 'ON_DEMAND' });

    // Assess
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: {
        EncryptionType: 'KMS',
        KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ingestkey'), 'Arn'] },
      },
      RetentionPeriodHours: 24,
    });
  });

  it('is ON_DEMAND without a shard count by default', () => {
    // Act
    const template = streamTemplate({ mode: 'ON_DEMAND' });

    // Assess
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
    });
  });

  it('is PROVISIONED with the configured shard count', () => {
    // Act
    const template = streamTemplate({ mode: 'PROVISIONED', shardCount: 4 });

    // Assess
    const streams = template.findResources('AWS::Kinesis::Stream');
    expect(Object.values(streams)[0]?.Properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 4,
    });
  });
});
