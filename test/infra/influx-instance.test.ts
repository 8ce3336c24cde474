import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { INFLUX_PORT } from '../../infra/constructs/influx-instance.ts';
import { synthSeismo } from './support.ts';

type Resource = { Properties: Record<string, unknown>; DependsOn?: string[] };

const MANAGED = { timeseriesBackend: 'timestream-influxdb' };

function only(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type));
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The detector function (the one with the onnxruntime layer). */
function detector(template: Template): [string, Resource] {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, fn]) =>
    String((fn as Resource).Properties.Description).startsWith('Seismo detector'),
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

describe('timeseriesBackend=timestream-influxdb', () => {
  const { stack, template } = synthSeismo(MANAGED);

  it('provisions a private Timestream for InfluxDB instance in isolated subnets', () => {
    // Act
    const [, instance] = only(template, 'AWS::Timestream::InfluxDBInstance');

    // Assess
    expect(instance.Properties).toMatchObject({
      Name: 'seismo-dev',
      DbInstanceType: 'db.influx.medium',
      DbStorageType: 'InfluxIOIncludedT1',
      AllocatedStorage: 20,
      DeploymentType: 'SINGLE_AZ',
      Organization: 'seismo',
      Bucket: 'seismo',
      PubliclyAccessible: false,
      Port: INFLUX_PORT,
    });
    expect(instance.Properties.VpcSubnetIds).toHaveLength(2);
    expect(JSON.stringify(instance.Properties.Password)).toContain('{{resolve:secretsmanager:');
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
  });

  it('admits only the detector and the token function on 8086', () => {
    // Prepare
    const [, instance] = only(template, 'AWS::Timestream::InfluxDBInstance');
    const groupId = (instance.Properties.VpcSecurityGroupIds as { 'Fn::GetAtt': [string, string] }[])[0]?.[
      'Fn::GetAtt'
    ][0];
    const [, fn] = detector(template);
    const detectorGroup = (fn.Properties.VpcConfig as { SecurityGroupIds: { 'Fn::GetAtt': [string] }[] })
      .SecurityGroupIds[0]?.['Fn::GetAtt'][0];

    // Act
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => (r as Resource).Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(String(groupId)));
    const [, sg] = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).find(
      ([id]) => id === groupId,
    ) as [string, Resource];

    // Assess
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(ingress).toHaveLength(2);
    for (const rule of ingress) {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: INFLUX_PORT, ToPort: INFLUX_PORT });
      expect(rule.CidrIp).toBeUndefined();
    }
    const sources = ingress.map((r) => JSON.stringify(r.SourceSecurityGroupId));
    expect(sources.some((s) => s.includes(String(detectorGroup)))).toBe(true);
  });

  it('puts the detector in the VPC with endpoints for what it calls, and no NAT', () => {
    // Act
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify((e as Resource).Properties.ServiceName),
    );
    const [, fn] = detector(template);

    // Assess
    expect(fn.Properties.VpcConfig).toMatchObject({ SubnetIds: expect.any(Array) });
    for (const service of ['dynamodb', 's3', 'sns', 'sqs', 'secretsmanager']) {
      expect(endpoints.filter((e) => e.includes(`.${service}`))).toHaveLength(1);
    }
    expect(endpoints).toHaveLength(5);
    const gateways = Object.values(template.findResources('AWS::EC2::VPCEndpoint'))
      .map((e) => (e as Resource).Properties)
      .filter((p) => p.VpcEndpointType === 'Gateway')
      .map((p) => JSON.stringify(p.ServiceName));
    expect(gateways.map((g) => /\.(dynamodb|s3)"/.exec(g)?.[1]).sort()).toEqual(['dynamodb', 's3']);
  });

  it('wires the token without a manual step: the custom resource stores it before the detector exists', () => {
    // Prepare
    const [tokenId, token] = only(template, 'Custom::InfluxWriteToken');
    const [, fn] = detector(template);
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(token.Properties).toMatchObject({ Org: 'seismo', Bucket: 'seismo' });
    expect(fn.DependsOn).toContain(tokenId);
    expect(env.TIMESERIES_BACKEND).toBe('influxdb');
    expect(JSON.stringify(env.INFLUX_URL)).toContain('https://');
    expect(JSON.stringify(env.INFLUX_URL)).toContain('Endpoint');
    expect(env.INFLUX_TOKEN_SECRET_ARN).toEqual(token.Properties.TokenSecretArn);
    expect(env.SEISMO_ALLOW_INSECURE_INFLUX).toBeUndefined();
    template.hasOutput('influxinstancearn', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } });
    template.hasOutput('influxtokensecretarn', Match.anyValue());
    expect(stack.storage.timeseries.backend).toBe('influxdb');
  });

  it('grants the token function the admin secret to read and the token secret to write, nothing broader', () => {
    // Act
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map((p) =>
      JSON.stringify((p as Resource).Properties.PolicyDocument),
    );

    // Assess
    const token = policies.filter((p) => p.includes('secretsmanager:PutSecretValue'));
    expect(token).toHaveLength(1);
    expect(policies.join()).not.toMatch(/"secretsmanager:\*"|"ec2:\*"/);
  });

  it('takes the instance size, storage and Multi-AZ from influxInstance, and Multi-AZ by default in prod', () => {
    // Act
    const sized = synthSeismo({
      ...MANAGED,
      influxInstance: '{"type":"db.influx.large","storageGiB":400,"org":"acme","bucket":"points"}',
      stage: 'prod',
    }).template;

    // Assess
    sized.hasResourceProperties('AWS::Timestream::InfluxDBInstance', {
      DbInstanceType: 'db.influx.large',
      AllocatedStorage: 400,
      DeploymentType: 'WITH_MULTIAZ_STANDBY',
      Organization: 'acme',
      Bucket: 'points',
    });
    sized.hasResource('AWS::Timestream::InfluxDBInstance', { DeletionPolicy: 'Retain' });
  });
});
