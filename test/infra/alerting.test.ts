import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, it } from 'vitest';
import { SeismoAlerting } from '../../infra/constructs/alerting.ts';
import { testApp } from './support.ts';

describe('SeismoAlerting', () => {
  const stack = new Stack(testApp(), 'test');
  new SeismoAlerting(stack, 'alerting', { removalPolicy: RemovalPolicy.DESTROY });
  const template = Template.fromStack(stack);

  it('creates the anomalies topic encrypted with a rotating customer-managed key', () => {
    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^alertingkey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('denies publishing without TLS', () => {
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
