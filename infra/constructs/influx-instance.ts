import { fileURLToPath } from 'node:url';
import { CustomResource, Duration, Fn, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnInfluxDBInstance } from 'aws-cdk-lib/aws-timestream';
import { Construct, type IDependable } from 'constructs';
import type { TimeseriesConfig } from '../config.ts';
import { SeismoFunction } from './seismo-function.ts';

/** The port Timestream for InfluxDB serves its HTTPS API on. */
export const INFLUX_PORT = 8086;
/** The instance's admin user (its password is generated into a secret). */
export const INFLUX_ADMIN_USER = 'seismo-admin';
/** The token custom resource's handler module. */
export const INFLUX_TOKEN_ENTRY = fileURLToPath(
  new URL('../../functions/influx-token/handler.ts', import.meta.url),
);

/** Props of {@link SeismoInfluxInstance}. */
export interface SeismoInfluxInstanceProps {
  readonly stage: string;
  readonly config: Extract<TimeseriesConfig, { backend: 'timestream-influxdb' }>;
  /** Encrypts the instance's secrets. */
  readonly key: IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * An Amazon Timestream for InfluxDB instance in a VPC of its own, ready for the detector without a manual
 * step. The VPC has private subnets only and no NAT: the detector reaches DynamoDB and S3 through gateway
 * endpoints (free) and SNS, SQS and Secrets Manager through interface endpoints. Its Kinesis polling, logs,
 * EMF metrics and X-Ray segments are sent by the Lambda service, not from the function's network interface.
 * The instance accepts connections on 8086 from two security groups only: the detector's and the token
 * function's. A custom resource signs in as the admin (password generated into a secret), creates a token
 * that may write to the bucket and nothing else, and stores it in the secret the detector reads.
 */
export class SeismoInfluxInstance extends Construct {
  readonly vpc: Vpc;
  readonly instance: CfnInfluxDBInstance;
  /** The detector joins this group; the instance admits it on 8086. */
  readonly clientSecurityGroup: SecurityGroup;
  /** `https://<endpoint>:8086`. */
  readonly url: string;
  /** The admin's `{"username", "password"}`. */
  readonly adminSecret: Secret;
  /** The detector's write token, filled in by the token custom resource. */
  readonly tokenSecret: Secret;
  /** What the detector must wait for: the token stored and the endpoints it calls in place. */
  readonly ready: IDependable[];

  constructor(scope: Construct, id: string, props: SeismoInfluxInstanceProps) {
    super(scope, id);
    const { config, key, removalPolicy } = props;
    this.vpc = new Vpc(this, 'vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        // Rejected connections only: what a security review asks about, at a fraction of full flow-log volume.
        rejected: {
          destination: FlowLogDestination.toCloudWatchLogs(
            new LogGroup(this, 'flow-logs', { retention: RetentionDays.ONE_MONTH, removalPolicy }),
          ),
          trafficType: FlowLogTrafficType.REJECT,
        },
      },
    });
    const subnets = { subnetType: SubnetType.PRIVATE_ISOLATED };
    const gateways = [GatewayVpcEndpointAwsService.DYNAMODB, GatewayVpcEndpointAwsService.S3].map((service) =>
      this.vpc.addGatewayEndpoint(`${service.name.split('.').pop()}-endpoint`, {
        service,
        subnets: [subnets],
      }),
    );
    const instanceGroup = this.securityGroup(
      'instance-sg',
      'Seismo InfluxDB instance: 8086 from its clients only',
    );
    this.clientSecurityGroup = this.securityGroup('client-sg', 'Seismo InfluxDB clients (the detector)');
    const tokenGroup = this.securityGroup('token-sg', 'Seismo InfluxDB token custom resource');
    for (const client of [this.clientSecurityGroup, tokenGroup]) {
      instanceGroup.addIngressRule(client, Port.tcp(INFLUX_PORT), `InfluxDB API from ${client.node.id}`);
    }

    const interfaces = [
      ['sns', InterfaceVpcEndpointAwsService.SNS],
      ['sqs', InterfaceVpcEndpointAwsService.SQS],
      ['secrets-manager', InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
    ].map(([name, service]) =>
      this.vpc.addInterfaceEndpoint(`${name}-endpoint`, {
        service: service as InterfaceVpcEndpointAwsService,
        subnets,
        // Only the detector and the token function may call them, not everything in the VPC's range.
        open: false,
      }),
    );
    for (const endpoint of interfaces) {
      endpoint.connections.allowDefaultPortFrom(this.clientSecurityGroup, 'HTTPS from the detector');
      endpoint.connections.allowDefaultPortFrom(tokenGroup, 'HTTPS from the token function');
    }

    this.adminSecret = new Secret(this, 'admin', {
      description: `Seismo ${props.stage}: Timestream for InfluxDB admin user`,
      encryptionKey: key,
      removalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: INFLUX_ADMIN_USER }),
        generateStringKey: 'password',
        // InfluxDB passwords: 8-64 characters; punctuation left out so no client has to escape it.
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    this.tokenSecret = new Secret(this, 'token', {
      description: `Seismo ${props.stage}: InfluxDB write token of the detector (set by the stack)`,
      encryptionKey: key,
      removalPolicy,
    });
    for (const secret of [this.adminSecret, this.tokenSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An InfluxDB credential: rotating it means calling the InfluxDB API, which Secrets Manager rotation cannot do without a custom rotation function; redeploying with a changed token description issues a new token and revokes the old one.',
      });
    }

    this.instance = new CfnInfluxDBInstance(this, 'instance', {
      name: `seismo-${props.stage}`,
      dbInstanceType: config.instanceType,
      dbStorageType: 'InfluxIOIncludedT1',
      allocatedStorage: config.storageGiB,
      deploymentType: config.multiAz ? 'WITH_MULTIAZ_STANDBY' : 'SINGLE_AZ',
      organization: config.org,
      bucket: config.bucket,
      username: INFLUX_ADMIN_USER,
      // A dynamic reference: CloudFormation reads the password from the secret, the template never holds it.
      password: this.adminSecret.secretValueFromJson('password').unsafeUnwrap(),
      publiclyAccessible: false,
      networkType: 'IPV4',
      port: INFLUX_PORT,
      vpcSubnetIds: this.vpc.selectSubnets(subnets).subnetIds,
      vpcSecurityGroupIds: [instanceGroup.securityGroupId],
    });
    this.instance.applyRemovalPolicy(removalPolicy);
    this.url = Fn.join('', ['https://', this.instance.attrEndpoint, `:${INFLUX_PORT}`]);

    const tokenFunction = new SeismoFunction(this, 'token-fn', {
      entry: INFLUX_TOKEN_ENTRY,
      handler: 'handler',
      description: 'Seismo: creates the detector InfluxDB write token and stores it in Secrets Manager',
      // Waits for the instance's name to resolve after creation: up to about 3.5 minutes.
      timeout: Duration.minutes(5),
      vpc: this.vpc,
      vpcSubnets: subnets,
      securityGroups: [tokenGroup],
      logRemovalPolicy: removalPolicy,
    });
    tokenFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.adminSecret.secretArn],
      }),
    );
    tokenFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:PutSecretValue'],
        resources: [this.tokenSecret.secretArn],
      }),
    );
    key.grant(tokenFunction, 'kms:Decrypt', 'kms:GenerateDataKey');
    for (const endpoint of [...gateways, ...interfaces]) tokenFunction.node.addDependency(endpoint);

    const token = new CustomResource(this, 'write-token', {
      serviceToken: tokenFunction.functionArn,
      resourceType: 'Custom::InfluxWriteToken',
      properties: {
        InfluxUrl: this.url,
        AdminSecretArn: this.adminSecret.secretArn,
        TokenSecretArn: this.tokenSecret.secretArn,
        Org: config.org,
        Bucket: config.bucket,
        Description: `seismo-${props.stage} detector: write ${config.bucket}`,
      },
    });
    this.ready = [token, ...gateways, ...interfaces];
  }

  private securityGroup(id: string, description: string): SecurityGroup {
    // Outbound stays open: in a VPC without NAT it reaches the endpoints and the instance, nothing else.
    return new SecurityGroup(this, id, { vpc: this.vpc, description, allowAllOutbound: true });
  }
}
