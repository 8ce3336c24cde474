import {
  BatchGetItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../adapters/dynamodb-state-store.ts';
import { DynamoDbPublishLedger } from '../../adapters/publish-ledger.ts';
import { loadConfig } from '../../infra/config.ts';
import { DETECT_LEDGER_TABLE_ACTIONS, DETECT_STATE_TABLE_ACTIONS } from '../../infra/constructs/detection.ts';
import { STREAM_POLLING_ACTIONS } from '../../infra/constructs/seismo-function.ts';
import { SeismoStack } from '../../infra/seismo-stack.ts';
import { INFLUX_CONTEXT, logicalIds, synthSeismo, testApp } from './support.ts';

/** One allow statement of the detector's role, with resources named by logical id (or "*"). */
interface Grant {
  readonly policy: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly viaService?: string;
}

type Json = Record<string, unknown>;

/** Every statement of every policy attached to the detector's role. */
function detectorGrants(template: Template): Grant[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).flatMap(([policy, resource]) => {
    const props = resource.Properties as { Roles: Json[]; PolicyDocument: { Statement: Json[] } };
    const forDetector = props.Roles.some((r) => String(r.Ref).startsWith('detectiondetectrole'));
    if (!forDetector) return [];
    return props.PolicyDocument.Statement.map((s) => {
      expect(s.Effect).toBe('Allow');
      const via = (s.Condition as Json | undefined)?.StringEquals as Json | undefined;
      const join = (via?.['kms:ViaService'] as { 'Fn::Join': [string, unknown[]] } | undefined)?.['Fn::Join'];
      return {
        policy,
        actions: [s.Action].flat() as string[],
        resources: [s.Resource].flat().map(resourceName),
        ...(join ? { viaService: String(join[1][0]).replace(/\.$/, '') } : {}),
      };
    });
  });
}

function resourceName(resource: unknown): string {
  if (resource === '*') return '*';
  const r = resource as Json;
  if (r.Ref) return String(r.Ref);
  if (r['Fn::GetAtt']) return String((r['Fn::GetAtt'] as string[])[0]);
  return JSON.stringify(resource);
}

/** The actions granted on resources whose logical id starts with `prefix`, sorted. */
function actionsOn(grants: readonly Grant[], prefix: string): string[] {
  const actions = grants
    .filter((g) => g.resources.some((r) => r.startsWith(prefix)))
    .flatMap((g) => g.actions);
  return [...new Set(actions)].sort();
}

/** Grants the detector must never hold: DynamoDB actions its code does not call, and any wildcard action. */
function overreach(grants: readonly Grant[]): string[] {
  const broad = ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'];
  return grants.flatMap((g) =>
    g.actions
      .filter((a) => a.includes('*') || broad.includes(a))
      .map((a) => `${a} on ${g.resources.join(',')}`),
  );
}

describe.each([
  ['Timestream', {}],
  ['InfluxDB with a model from S3', { ...INFLUX_CONTEXT, modelS3Uri: 's3://models/seismo/' }],
])("the detector's permissions (%s)", (_name, context) => {
  const { template } = synthSeismo(context);
  const grants = detectorGrants(template);

  it('grant each table exactly the calls its adapter makes', () => {
    // Assess
    expect(actionsOn(grants, 'storagestate')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem']);
    expect(actionsOn(grants, 'storagepublished')).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('hold no Scan, DeleteItem, BatchWriteItem, Query nor any wildcard action', () => {
    // Assess
    expect(overreach(grants)).toEqual([]);
  });

  it("read the stream with what the event source mapping's poller needs, no fan-out or listing", () => {
    // Assess
    expect(actionsOn(grants, 'ingestevents')).toEqual([...STREAM_POLLING_ACTIONS].sort());
    const all = grants.flatMap((g) => g.actions);
    for (const unused of [
      'kinesis:ListStreams',
      'kinesis:SubscribeToShard',
      'kinesis:DescribeStreamConsumer',
    ]) {
      expect(all).not.toContain(unused);
    }
  });

  it('use each KMS key for what its service needs: decrypt, and data keys only where it sends', () => {
    // Act
    const keys = grants.filter((g) => g.actions.some((a) => a.startsWith('kms:')));
    const byKey = new Map<string, string[]>();
    for (const g of keys) {
      for (const r of g.resources) {
        const uses = g.actions.map((a) => (g.viaService ? `${a} via ${g.viaService}` : a));
        byKey.set(r.replace(/[0-9A-F]{8}$/, ''), [
          ...(byKey.get(r.replace(/[0-9A-F]{8}$/, '')) ?? []),
          ...uses,
        ]);
      }
    }

    // Assess
    const storage = ['kms:Decrypt via dynamodb'];
    if ('influx' in context) storage.push('kms:Decrypt via secretsmanager');
    expect(Object.fromEntries([...byKey].map(([k, v]) => [k, v.sort()]))).toEqual({
      storagekey: storage.sort(),
      alertingkey: ['kms:Decrypt', 'kms:GenerateDataKey'],
      detectionqueueskey: ['kms:Decrypt', 'kms:GenerateDataKey'],
      ingestkey: ['kms:Decrypt'],
    });
  });

  it('grant "*" only to resource-less actions, each kind in a policy of its own', () => {
    // Act
    const star = grants.filter((g) => g.resources.includes('*'));

    // Assess
    const expected = [
      {
        policy: expect.stringMatching(/^detectiondetectrolexraytracing/),
        actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      },
    ];
    if (!('influx' in context)) {
      expected.push({
        policy: expect.stringMatching(/^detectiondetectroletimestreamendpoints/),
        actions: ['timestream:DescribeEndpoints'],
      });
    }
    expect(star.map((g) => ({ policy: g.policy, actions: [...g.actions].sort() }))).toEqual(
      expect.arrayContaining(expected),
    );
    expect(star).toHaveLength(expected.length);
  });
});

describe("the detector's permission checks", () => {
  it('find a broad grant (the check can fail)', () => {
    // Prepare: what `bindTable(..., 'readWrite')` used to grant, and a wildcard.
    const app = testApp();
    const stack = new SeismoStack(app, 'seismo-dev', { config: loadConfig(app.node) });
    stack.storage.stateTable.grantReadWriteData(stack.detection.fn);
    stack.detection.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:*'], resources: [stack.storage.publishedTable.tableArn] }),
    );

    // Act
    const found = overreach(detectorGrants(Template.fromStack(stack)));

    // Assess
    for (const action of ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*']) {
      expect(
        found.some((f) => f.startsWith(`${action} on`)),
        action,
      ).toBe(true);
    }
  });

  it('keep the event source mapping under the logical id CDK gave it, so a deploy updates it in place', () => {
    // Act
    const { template } = synthSeismo();

    // Assess: a replaced mapping would start again from TRIM_HORIZON and re-read the stream.
    expect(logicalIds(template, 'AWS::Lambda::EventSourceMapping', 'detection')).toEqual([
      'detectiondetectKinesisEventSourceseismodevingesteventsD937FB1C80CD7C54',
    ]);
  });
});

describe("the detector's DynamoDB grants against its adapters' calls", () => {
  const dynamo = mockClient(DynamoDBClient);
  afterEach(() => dynamo.reset());

  /** `dynamodb:Action` for every command sent for `table`, deduplicated and sorted. */
  const callsOn = (table: string): string[] => {
    const actions = dynamo.calls().flatMap((call) => {
      const command = call.args[0] as unknown as { input: Json; constructor: { name: string } };
      const tables = command.input.TableName
        ? [command.input.TableName]
        : Object.keys((command.input.RequestItems as Json | undefined) ?? {});
      const action = `dynamodb:${command.constructor.name.replace(/Command$/, '')}`;
      return tables.includes(table) ? [action] : [];
    });
    return [...new Set(actions)].sort();
  };

  it('cover exactly what the state store and the publish ledger send', async () => {
    // Prepare
    dynamo.on(BatchGetItemCommand).resolves({ Responses: { state: [] } });
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const store = new DynamoDbStateStore(client, { tableName: 'state' });
    const ledger = new DynamoDbPublishLedger(client, { tableName: 'ledger' });

    // Act: every operation the detector performs on each table.
    await store.load(['a', 'b']);
    await store.save([
      { key: 'a', version: 0, state: { n: 1 } },
      { key: 'b', version: 3, state: new Uint8Array([1, 2]) },
    ]);
    await store.quarantine([{ key: 'b', version: 3, state: new Uint8Array([9]), reason: 'unreadable' }]);
    await ledger.claim('episode#opened');
    await ledger.markSent('episode#opened');

    // Assess
    expect(callsOn('state')).toEqual([...DETECT_STATE_TABLE_ACTIONS].sort());
    expect(callsOn('ledger')).toEqual([...DETECT_LEDGER_TABLE_ACTIONS].sort());
  });
});
