import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, SeismoConfigError } from '../../infra/config.ts';
import { KAFKA_VPC_ACTIONS } from '../../infra/constructs/kafka-ingest.ts';
import { SeismoStack } from '../../infra/seismo-stack.ts';
import { cdkJsonContext, synthSeismo } from './support.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:seismo/db-AbCdEf';
const KAFKA_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_seismo-XyZ123';
const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/metrics/abcd1234-ab12-cd34-ef56-abcdef123456-2';

const MSK = { kafka: { mode: 'msk', clusterArn: CLUSTER, topic: 'metrics', secretArn: KAFKA_SECRET } };
const SELF_MANAGED = {
  kafka: {
    mode: 'self-managed',
    bootstrapServers: ['kafka-1.internal:9096', 'kafka-2.internal:9096'],
    topic: 'metrics',
    secretArn: KAFKA_SECRET,
    authentication: 'SASL_SCRAM_256_AUTH',
    vpc: {
      vpcId: 'vpc-0a1b2c3d',
      subnetIds: ['subnet-0a1b2c3d', 'subnet-0e1f2a3b'],
      securityGroupIds: ['sg-0a1b2c3d'],
    },
  },
};
const DB_POLLER = {
  dbPoller: {
    source: {
      name: 'orders',
      table: 'shop.orders_per_minute',
      idColumn: 'id',
      timestampColumn: 'minute',
      seriesColumn: 'store',
      valueColumns: ['orders', 'revenue'],
      delaySeconds: 120,
    },
    connection: {
      host: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
      database: 'shop',
      user: 'seismo_reader',
    },
    secretArn: SECRET,
    vpc: {
      vpcId: 'vpc-0a1b2c3d',
      subnetIds: ['subnet-0a1b2c3d'],
      securityGroupIds: ['sg-0a1b2c3d', 'sg-0e1f2a3b'],
    },
  },
};

type Json = Record<string, unknown>;

/** Allow statements of policies attached to roles whose logical id starts with `rolePrefix`. */
function grants(template: Template, rolePrefix: string): { actions: string[]; resources: string[] }[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  return policies.flatMap((resource) => {
    const props = resource.Properties as { Roles: Json[]; PolicyDocument: { Statement: Json[] } };
    if (!props.Roles.some((r) => String(r.Ref).startsWith(rolePrefix))) return [];
    return props.PolicyDocument.Statement.map((s) => ({
      actions: [s.Action].flat() as string[],
      resources: [s.Resource].flat().map((r) => (typeof r === 'string' ? r : JSON.stringify(r))),
    }));
  });
}

/** Sorted actions granted on resources whose text contains `needle`. */
function actionsOn(list: ReturnType<typeof grants>, needle: string): string[] {
  return [
    ...new Set(list.filter((g) => g.resources.some((r) => r.includes(needle))).flatMap((g) => g.actions)),
  ].sort();
}

function unacknowledged(app: ReturnType<typeof synthSeismo>['app']): string[] {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
  );
}

describe('ingestion sources in the stack', () => {
  it('adds nothing unless their context keys are set', () => {
    // Act
    const { template } = synthSeismo();

    // Assess
    // The detector and the alert queues have mappings, retraining a rule: none of the sources' may exist.
    expect(
      Object.keys(template.findResources('AWS::Lambda::EventSourceMapping')).filter((id) =>
        id.startsWith('sources'),
      ),
    ).toEqual([]);
    expect(
      Object.keys(template.findResources('AWS::Events::Rule')).filter((id) => id.startsWith('sources')),
    ).toEqual([]);
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('sources')),
    ).toEqual([]);
  });

  it('maps an MSK topic in provisioned mode with partial batch responses, bisection, bounded retries and an S3 destination', () => {
    // Act
    const { template } = synthSeismo(MSK);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: CLUSTER,
      Topics: ['metrics'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^sourceskafkafailedbatches'), 'Arn'] },
        },
      },
      SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: KAFKA_SECRET }],
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
  });

  it('grants the Kafka function what its code and its mapping call, no more', () => {
    // Act
    const { template } = synthSeismo(MSK);
    const list = grants(template, 'sourceskafkaingestrole');

    // Assess
    expect(actionsOn(list, 'ingestevents')).toEqual([
      'kinesis:ListShards',
      'kinesis:PutRecord',
      'kinesis:PutRecords',
    ]);
    expect(actionsOn(list, 'sourceskafkadeadletters')).toEqual(['sqs:SendMessage']);
    expect(actionsOn(list, 'sourceskafkafailedbatches')).toEqual(['s3:ListBucket', 's3:PutObject']);
    expect(actionsOn(list, CLUSTER)).toEqual([
      'kafka:DescribeCluster',
      'kafka:GetBootstrapBrokers',
      'kafka:ListScramSecrets',
    ]);
    expect(actionsOn(list, 'AmazonMSK_seismo')).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(list.flatMap((g) => g.actions).filter((a) => a.includes('*'))).toEqual([]);
    expect(list.flatMap((g) => g.actions)).not.toContain('s3:GetObject');
  });

  it('reaches self-managed brokers in a VPC through its subnets and one security group', () => {
    // Act
    const { template } = synthSeismo(SELF_MANAGED);

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SelfManagedEventSource: {
        Endpoints: { KafkaBootstrapServers: ['kafka-1.internal:9096', 'kafka-2.internal:9096'] },
      },
      SourceAccessConfigurations: [
        { Type: 'SASL_SCRAM_256_AUTH', URI: KAFKA_SECRET },
        { Type: 'VPC_SECURITY_GROUP', URI: 'sg-0a1b2c3d' },
        { Type: 'VPC_SUBNET', URI: 'subnet-0a1b2c3d' },
        { Type: 'VPC_SUBNET', URI: 'subnet-0e1f2a3b' },
      ],
    });
    const star = grants(template, 'sourceskafkaingestrole').filter((g) => g.resources.includes('*'));
    const ec2 = star.flatMap((g) => g.actions).filter((a) => !a.startsWith('xray:'));
    expect(ec2.sort()).toEqual([...KAFKA_VPC_ACTIONS].sort());
  });

  it('polls the database every minute, one run at a time, inside its VPC', () => {
    // Act
    const { template } = synthSeismo(DB_POLLER);

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      VpcConfig: { SubnetIds: ['subnet-0a1b2c3d'], SecurityGroupIds: ['sg-0a1b2c3d', 'sg-0e1f2a3b'] },
      Environment: {
        Variables: Match.objectLike({
          DB_HOST: 'shop.cluster-abc.eu-west-1.rds.amazonaws.com',
          DB_PORT: '5432',
          DB_SSL: '1',
          DB_SECRET_ARN: SECRET,
          POLLER_SOURCE: Match.stringLikeRegexp('"delaySeconds":120'),
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        }),
      },
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'source', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('grants the poller exactly its calls: GetItem and PutItem on its watermarks, the secret read-only', () => {
    // Act
    const { template } = synthSeismo(DB_POLLER);
    const list = grants(template, 'sourcesdbpollerpollrole');

    // Assess
    expect(actionsOn(list, 'sourcesdbpollerwatermarks')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(actionsOn(list, SECRET)).toEqual(['secretsmanager:GetSecretValue']);
    expect(actionsOn(list, 'sourcesdbpollerdeadletters')).toEqual(['sqs:SendMessage']);
    expect(actionsOn(list, 'ingestevents')).toEqual([
      'kinesis:ListShards',
      'kinesis:PutRecord',
      'kinesis:PutRecords',
    ]);
    expect(list.flatMap((g) => g.actions).filter((a) => a.includes('*'))).toEqual([]);
  });

  it.each([
    ['MSK', MSK],
    ['self-managed Kafka in a VPC', SELF_MANAGED],
    ['a database poller in a VPC', DB_POLLER],
    ['all at once, prod', { ...MSK, ...DB_POLLER, stage: 'prod' }],
  ])('leaves cdk-nag nothing unacknowledged with %s', (_name, context) => {
    // Prepare
    const { app, stack } = synthSeismo(context);

    // Act
    const findings = unacknowledged(app);

    // Assess
    expect(findings).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual(
      [],
    );
  });
});

describe('the kafka and dbPoller context keys', () => {
  const base = () => {
    const context = cdkJsonContext();
    return Object.fromEntries(Object.entries(context).filter(([k]) => !k.includes(':')));
  };

  function problems(extra: Record<string, unknown>): readonly string[] {
    try {
      parseConfig({ ...base(), ...extra });
    } catch (error) {
      if (error instanceof SeismoConfigError) return error.problems;
      throw error;
    }
    return [];
  }

  it('accepts them as JSON text, as -c passes them', () => {
    // Act
    const config = parseConfig({
      ...base(),
      kafka: JSON.stringify(MSK.kafka),
      dbPoller: JSON.stringify(DB_POLLER.dbPoller),
    });

    // Assess
    expect(config.kafka?.retryAttempts).toBe(10);
    expect(config.dbPoller?.source.pageSize).toBe(1000);
    expect(config.dbPoller?.connection.port).toBe(5432);
  });

  it('names the key and the rule of each problem', () => {
    // Act
    const kafka = problems({
      kafka: { mode: 'msk', topic: 'a b', bootstrapServers: ['x:1'], minimumPollers: 5, maximumPollers: 2 },
    });
    const poller = problems({
      dbPoller: {
        ...DB_POLLER.dbPoller,
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:seismo/db',
        source: { ...DB_POLLER.dbPoller.source, idColumn: 'id; drop table x' },
        vpc: { vpcId: 'vpc-1', subnetIds: [], securityGroupIds: ['sg-0a1b2c3d'] },
      },
    });
    const selfManaged = problems({
      kafka: { mode: 'self-managed', bootstrapServers: ['b:9092'], topic: 't' },
    });

    // Assess
    expect(kafka).toEqual(
      expect.arrayContaining([
        expect.stringContaining('kafka.topic must be a Kafka topic name'),
        expect.stringContaining('kafka.clusterArn is required when kafka.mode is "msk"'),
        expect.stringContaining('kafka.bootstrapServers only applies when kafka.mode is "self-managed"'),
        expect.stringContaining('kafka.minimumPollers must not exceed kafka.maximumPollers'),
      ]),
    );
    expect(poller).toEqual(
      expect.arrayContaining([
        expect.stringContaining('dbPoller.secretArn must be the complete ARN of a Secrets Manager secret'),
        expect.stringContaining('dbPoller.source.idColumn: idColumn must be a plain column name'),
        expect.stringContaining('dbPoller.vpc.vpcId must look like vpc-0123456789abcdef0'),
        expect.stringContaining('dbPoller.vpc.subnetIds must name at least one subnet'),
      ]),
    );
    expect(selfManaged).toEqual([
      expect.stringContaining('kafka.secretArn is required for brokers reached over the internet'),
    ]);
  });
});

describe('the Kafka and poller bundles', () => {
  it('bundle as ESM with pg inside, and load with only the runtime SDK beside them', () => {
    // Prepare: synth with bundling, as `npx cdk synth` does; the SDK comes from node_modules as Lambda's runtime would.
    const outdir = mkdtempSync(path.join(tmpdir(), 'seismo-sources-synth-'));
    try {
      const app = new App({ context: { ...cdkJsonContext(), ...MSK, ...DB_POLLER }, outdir });
      new SeismoStack(app, 'seismo-dev', { config: loadConfig(app.node) });
      app.synth();
      symlinkSync(path.resolve(import.meta.dirname, '../../node_modules'), path.join(outdir, 'node_modules'));

      // Act
      const bundles = readdirSync(outdir)
        .map((d) => path.join(outdir, d, 'index.mjs'))
        .filter((f) => existsSync(f))
        .filter((f) => /seismo-(db-poll|kafka-ingest)/.test(readFileSync(f, 'utf8')));
      const loaded = bundles.map((f) =>
        execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(f)}); console.log(typeof m.handler);`,
          ],
          {
            encoding: 'utf8',
            env: { ...process.env, AWS_REGION: 'eu-west-1' },
          },
        ).trim(),
      );

      // Assess
      expect(bundles).toHaveLength(2);
      expect(loaded).toEqual(['function', 'function']);
      const poller =
        bundles.map((f) => readFileSync(f, 'utf8')).find((b) => b.includes('seismo-db-poll')) ?? '';
      expect(poller).toMatch(/statement_timeout/);
      expect(poller).not.toMatch(/from\s*"pg"/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 240_000);
});
