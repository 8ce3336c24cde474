import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { STATE_KEY_ATTRIBUTE } from '../../adapters/dynamodb-state-store.ts';
import { LEDGER_KEY_ATTRIBUTE } from '../../adapters/publish-ledger.ts';
import type { TimeseriesConfig } from '../config.ts';
import { SeismoInfluxInstance } from './influx-instance.ts';

/** Name of the epoch-seconds attribute DynamoDB's TTL deletes items by, on every Seismo table. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The time-series store the detector writes scored points to, as deployed. */
export type TimeseriesStore =
  | {
      readonly backend: 'timestream';
      readonly database: CfnDatabase;
      readonly table: CfnTable;
      /** How old a point the table still accepts (magnetic-store writes are on): its magnetic retention. */
      readonly acceptsDaysBack: number;
    }
  | {
      readonly backend: 'influxdb';
      readonly url: string;
      readonly org: string;
      readonly bucket: string;
      /**
       * Holds the InfluxDB API token: set by the stack for a provisioned instance, by an operator after the first
       * deploy for an InfluxDB someone else runs.
       */
      readonly tokenSecret: Secret;
      /** The URL is http://, allowed for local development by `allowInsecureInflux`. */
      readonly allowInsecureHttp?: true;
      /** The Timestream for InfluxDB instance the stack provisioned (the detector joins its VPC). */
      readonly managed?: SeismoInfluxInstance;
    };

/** Props of {@link SeismoStorage}. */
export interface SeismoStorageProps {
  /** Which time-series backend to provision, with its settings. */
  readonly timeseries: TimeseriesConfig;
  /** What happens to tables, database and key when the stack goes (RETAIN for production). */
  readonly removalPolicy: RemovalPolicy;
  /** Names the provisioned InfluxDB instance, which must be unique in the account and region. */
  readonly stage: string;
}

/**
 * Everything Seismo keeps: DynamoDB tables for per-series feature state and for the ledger of episodes and
 * published alerts, and the time-series store (Timestream, or the settings and token of an InfluxDB).
 */
export class SeismoStorage extends Construct {
  /** Customer-managed key encrypting the tables, the Timestream database and the InfluxDB token. */
  readonly key: Key;
  /** Per-series feature state and open episodes, partition key `key`. */
  readonly stateTable: Table;
  /** Ledger of episodes and the alerts published for them (idempotent publishing), partition key `id`. */
  readonly publishedTable: Table;
  /** Where scored points go. */
  readonly timeseries: TimeseriesStore;

  constructor(scope: Construct, id: string, props: SeismoStorageProps) {
    super(scope, id);
    const { removalPolicy } = props;
    this.key = new Key(this, 'key', {
      description: 'Seismo: encrypts state, episodes and time series at rest',
      enableKeyRotation: true,
      removalPolicy,
    });
    // Key names come from the adapters that read these tables, so the two cannot drift apart.
    this.stateTable = this.table('state', STATE_KEY_ATTRIBUTE, removalPolicy);
    this.publishedTable = this.table('published', LEDGER_KEY_ATTRIBUTE, removalPolicy);
    const ts = props.timeseries;
    this.timeseries =
      ts.backend === 'timestream'
        ? this.timestream(ts, removalPolicy)
        : ts.backend === 'timestream-influxdb'
          ? this.managedInflux(ts, props.stage, removalPolicy)
          : this.influx(ts, removalPolicy);
  }

  private table(id: string, partitionKey: string, removalPolicy: RemovalPolicy): Table {
    return new Table(this, id, {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      // Traffic follows the stream, which is bursty; on-demand needs no capacity planning.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      // State of series that stopped reporting, and old ledger entries, expire instead of accumulating.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }

  private timestream(
    config: Extract<TimeseriesConfig, { backend: 'timestream' }>,
    removalPolicy: RemovalPolicy,
  ): TimeseriesStore {
    const database = new CfnDatabase(this, 'timestream-db', { kmsKeyId: this.key.keyArn });
    database.applyRemovalPolicy(removalPolicy);
    const table = new CfnTable(this, 'timestream-points', {
      databaseName: database.ref,
      // These two properties are untyped JSON in the L1, so the keys are CloudFormation's PascalCase.
      retentionProperties: {
        MemoryStoreRetentionPeriodInHours: String(config.memoryHours),
        MagneticStoreRetentionPeriodInDays: String(config.magneticDays),
      },
      // Late or replayed points older than the memory window are still accepted, into the magnetic store.
      magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    });
    table.applyRemovalPolicy(removalPolicy);
    return { backend: 'timestream', database, table, acceptsDaysBack: config.magneticDays };
  }

  private managedInflux(
    config: Extract<TimeseriesConfig, { backend: 'timestream-influxdb' }>,
    stage: string,
    removalPolicy: RemovalPolicy,
  ): TimeseriesStore {
    const managed = new SeismoInfluxInstance(this, 'influx', { stage, config, key: this.key, removalPolicy });
    return {
      backend: 'influxdb',
      url: managed.url,
      org: config.org,
      bucket: config.bucket,
      tokenSecret: managed.tokenSecret,
      managed,
    };
  }

  private influx(
    config: Extract<TimeseriesConfig, { backend: 'influxdb' }>,
    removalPolicy: RemovalPolicy,
  ): TimeseriesStore {
    const tokenSecret = new Secret(this, 'influx-token', {
      description: `Seismo: InfluxDB API token for org "${config.org}" (set the real value after deploying)`,
      encryptionKey: this.key,
      removalPolicy,
    });
    Validations.of(tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token is issued by InfluxDB, not by AWS: rotation needs InfluxDB admin access and is done by operators, who then put the new value here.',
    });
    return {
      backend: 'influxdb',
      url: config.url,
      org: config.org,
      bucket: config.bucket,
      tokenSecret,
      ...(config.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
    };
  }
}
