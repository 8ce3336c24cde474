import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import type { TimeseriesConfig } from '../../infra/config.ts';
import { SeismoStorage } from '../../infra/constructs/storage.ts';
import { testApp } from './support.ts';

function storageTemplate(timeseries: TimeseriesConfig, removalPolicy = RemovalPolicy.DESTROY): Template {
  const stack = new Stack(testApp(), 'test');
  new SeismoStorage(stack, 'storage', { timeseries, removalPolicy, stage: 'test' });
  return Template.fromStack(stack);
}

const TIMESTREAM: TimeseriesConfig = { backend: 'timestream', memoryHours: 12, magneticDays: 90 };
const INFLUX: TimeseriesConfig = {
  backend: 'influxdb',
  url: 'https://influx.example.com',
  org: 'acme',
  bucket: 'pts',
};
const storageKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^storagekey'), 'Arn'] };

describe('SeismoStorage', () => {
  it.each([
    ['state', 'pk'],
    ['published', 'id'],
  ])(
    'creates the %s table keyed by %s: on-demand, PITR, customer-managed KMS, TTL on expiresAt',
    (_name, pk) => {
      // Act
      const template = storageTemplate(TIMESTREAM);

      // Assess
      template.resourceCountIs('AWS::DynamoDB::Table', 2);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: pk, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: pk, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: storageKey },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    },
  );

  it('uses a rotating customer-managed key', () => {
    // Act
    const template = storageTemplate(TIMESTREAM);

    // Assess
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('creates a KMS-encrypted Timestream database and a table with the configured retention', () => {
    // Act
    const template = storageTemplate(TIMESTREAM);

    // Assess
    template.hasResourceProperties('AWS::Timestream::Database', { KmsKeyId: storageKey });
    template.hasResourceProperties('AWS::Timestream::Table', {
      RetentionProperties: {
        MemoryStoreRetentionPeriodInHours: '12',
        MagneticStoreRetentionPeriodInDays: '90',
      },
      MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('creates no Timestream but a KMS-encrypted token secret for InfluxDB', () => {
    // Act
    const template = storageTemplate(INFLUX);

    // Assess
    template.resourceCountIs('AWS::Timestream::Database', 0);
    template.resourceCountIs('AWS::Timestream::Table', 0);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: storageKey,
      Description: Match.stringLikeRegexp('InfluxDB API token for org "acme"'),
    });
  });

  it('retains data and protects tables from deletion when asked to (production)', () => {
    // Act
    const template = storageTemplate(TIMESTREAM, RemovalPolicy.RETAIN);

    // Assess
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    template.hasResource('AWS::Timestream::Database', { DeletionPolicy: 'Retain' });
  });
});
