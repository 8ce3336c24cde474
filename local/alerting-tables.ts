import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { CONTROL_KEY_ATTRIBUTES } from '../adapters/alerting/dynamodb-control-store.ts';
import { FEEDBACK_KEY_ATTRIBUTES } from '../adapters/alerting/dynamodb-feedback-store.ts';
import { NOTIFICATION_LOG_KEY_ATTRIBUTE } from '../adapters/alerting/dynamodb-notification-log.ts';
import { TRANSITION_KEY_ATTRIBUTES } from '../adapters/alerting/dynamodb-transition-log.ts';
import { ALERT_STATE_KEY_ATTRIBUTE } from '../adapters/alerting/dynamodb-versioned-store.ts';

/** The names of the local alerting tables (the deployed ones come from the CDK construct). */
export interface AlertingTableNames {
  readonly state: string;
  readonly log: string;
  readonly control: string;
  readonly feedback: string;
  readonly transitions: string;
}

/** The local defaults, prefixed so they sit beside the detector's tables. */
export const LOCAL_ALERTING_TABLES: AlertingTableNames = {
  state: 'seismo-alert-state',
  log: 'seismo-notification-log',
  control: 'seismo-alert-control',
  feedback: 'seismo-alert-feedback',
  transitions: 'seismo-alert-transitions',
};

/** Creates the five tables with the keys the adapters use (as the construct does) and waits until ACTIVE. */
export async function createAlertingTables(
  client: DynamoDBClient,
  names: AlertingTableNames = LOCAL_ALERTING_TABLES,
): Promise<void> {
  const layouts: [string, string, string?][] = [
    [names.state, ALERT_STATE_KEY_ATTRIBUTE],
    [names.log, NOTIFICATION_LOG_KEY_ATTRIBUTE],
    [names.control, CONTROL_KEY_ATTRIBUTES.partition, CONTROL_KEY_ATTRIBUTES.sort],
    [names.feedback, FEEDBACK_KEY_ATTRIBUTES.partition, FEEDBACK_KEY_ATTRIBUTES.sort],
    [names.transitions, TRANSITION_KEY_ATTRIBUTES.partition, TRANSITION_KEY_ATTRIBUTES.sort],
  ];
  await Promise.all(
    layouts.map(async ([name, partition, sort]) => {
      const keys: KeySchemaElement[] = [{ AttributeName: partition, KeyType: 'HASH' }];
      const attributes: AttributeDefinition[] = [{ AttributeName: partition, AttributeType: 'S' }];
      if (sort) {
        keys.push({ AttributeName: sort, KeyType: 'RANGE' });
        attributes.push({ AttributeName: sort, AttributeType: 'S' });
      }
      await client.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: keys,
          AttributeDefinitions: attributes,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      const deadline = Date.now() + 15_000;
      for (;;) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return;
        if (Date.now() > deadline) throw new Error(`timed out waiting for table ${name} to become ACTIVE`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
  );
}
