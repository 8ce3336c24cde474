import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  ApiKey,
  ApiKeySourceType,
  AuthorizationType,
  AwsIntegration,
  type JsonSchema as CdkJsonSchema,
  EndpointType,
  type IResource,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  Model,
  PassthroughBehavior,
  Period,
  RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERIES_KEY_ATTRIBUTE } from '../../adapters/ingest/dynamodb-series-registry.ts';
import { API_ROUTES, type ApiRoute, BINARY_MEDIA_TYPES, IAM_PREFIX } from '../../core/ingest/api-routes.ts';
import { eventsRequestJsonSchema, type JsonSchema } from '../../core/ingest/event-json-schema.ts';
import type { IngestionConfig } from '../config.ts';
import {
  CLIENT_ERROR_RESPONSE_TEMPLATE,
  PUT_RECORDS_RESPONSE_TEMPLATE,
  putRecordsRequestTemplate,
  SERVER_ERROR_RESPONSE_TEMPLATE,
} from './events-mapping-templates.ts';
import { SeismoFunction } from './seismo-function.ts';

/** The translator's handler module: it exports `handler`. */
export const TRANSLATE_ENTRY = fileURLToPath(
  new URL('../../functions/translate/handler.ts', import.meta.url),
);

/** Props of {@link IngestionApi}. */
export interface IngestionApiProps {
  readonly config: IngestionConfig;
  /** The ingest stream and the key it is encrypted with. */
  readonly stream: IStream;
  readonly streamKey: IKey;
  /** The API's stage name (the deploy stage). */
  readonly stageName: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The ingestion API: a Regional REST API whose `POST /v1/events` writes straight to Kinesis PutRecords (a
 * service integration with mapping templates, validated by a model generated from the detector's schema), and
 * whose protocol routes (Prometheus remote write, OTLP, InfluxDB, CloudWatch metric streams) go through one
 * translator function. Every producer has an API key and a usage plan (throttle and quota); each route but the
 * Firehose one also exists under `/iam/` with SigV4 instead of a key. Access logs go to CloudWatch Logs.
 */
export class IngestionApi extends Construct {
  readonly api: RestApi;
  readonly translator: SeismoFunction;
  /** Known series per tenant, for the series cap. */
  readonly seriesTable: Table;
  /** The value Firehose sends as X-Amz-Firehose-Access-Key. */
  readonly firehoseAccessKey: Secret;
  readonly apiKeys: readonly ApiKey[];

  constructor(scope: Construct, id: string, props: IngestionApiProps) {
    super(scope, id);
    const { config, removalPolicy } = props;

    this.seriesTable = new Table(this, 'series', {
      partitionKey: { name: SERIES_KEY_ATTRIBUTE, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.firehoseAccessKey = new Secret(this, 'firehose-access-key', {
      description:
        'Seismo: the access key CloudWatch metric streams (through Firehose) send to the ingestion API',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.firehoseAccessKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A shared secret between a Firehose delivery stream and this API: rotating it means updating the delivery stream in the same change, which operators do by hand.',
    });

    this.translator = new SeismoFunction(this, 'translate', {
      entry: TRANSLATE_ENTRY,
      handler: 'handler',
      description:
        'Seismo translator: Prometheus, OTLP, InfluxDB and metric-stream requests to events on the stream',
      memorySize: 1024,
      timeout: Duration.seconds(29),
      logRemovalPolicy: removalPolicy,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'seismo-translate',
        POWERTOOLS_METRICS_NAMESPACE: 'Seismo',
        SERIES_CAP: String(config.seriesCap),
      },
    });
    this.translator
      .bindStream(props.stream, 'STREAM_NAME', 'write')
      // What the series registry sends (adapters/ingest/dynamodb-series-registry.ts), no more.
      .bindTable(this.seriesTable, 'SERIES_TABLE', [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ])
      .bindSecret(this.firehoseAccessKey, 'FIREHOSE_ACCESS_KEY_SECRET_ARN');

    const accessLogs = new LogGroup(this, 'access-logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new RestApi(this, 'api', {
      restApiName: `seismo-ingest-${props.stageName}`,
      description: 'Seismo ingestion: events and the protocols monitoring tools speak',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      apiKeySourceType: ApiKeySourceType.HEADER,
      // The account-level role API Gateway writes logs with (one per account and region; retained).
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        tracingEnabled: true,
        throttlingRateLimit: config.rateLimit,
        throttlingBurstLimit: config.burstLimit,
      },
    });
    this.gatewayResponses();

    const validator = new RequestValidator(this, 'validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const eventsModel = new Model(this, 'events-model', {
      restApi: this.api,
      modelName: 'EventsRequest',
      contentType: 'application/json',
      description: 'Generated from the detector zod event schema (core/ingest/event-json-schema.ts)',
      schema: toCdkJsonSchema(eventsRequestJsonSchema()),
    });
    const kinesis = this.kinesisIntegration(props.stream, props.streamKey);
    const translate = new LambdaIntegration(this.translator, { allowTestInvoke: false });

    for (const route of API_ROUTES) {
      for (const iam of route.iam ? [false, true] : [false]) {
        const resource = this.resourceAt(iam ? `${IAM_PREFIX}${route.path}` : route.path);
        const integration = route.integration === 'kinesis' ? kinesis : translate;
        const method = resource.addMethod(route.method, integration, {
          operationName: iam ? `${route.operationId}Iam` : route.operationId,
          authorizationType: iam ? AuthorizationType.IAM : AuthorizationType.NONE,
          apiKeyRequired: !iam && route.auth === 'api-key',
          ...(route.integration === 'kinesis'
            ? {
                requestValidator: validator,
                requestModels: { 'application/json': eventsModel },
                requestParameters: { 'method.request.querystring.dryRun': false },
                methodResponses: ['200', '207', '400', '429', '503'].map((statusCode) => ({
                  statusCode,
                  responseParameters: { 'method.response.header.Retry-After': false },
                })),
              }
            : {}),
        });
        if (iam) {
          Validations.of(method).acknowledge({
            id: 'AwsSolutions-COG4',
            reason: 'Producers are machines signing with IAM roles (SigV4), not Cognito users.',
          });
        } else {
          acknowledgeMethod(method, route);
        }
      }
    }

    this.apiKeys = config.producers.map((producer) => {
      const key = new ApiKey(this, `key-${producer.name}`, {
        description: `Seismo producer ${producer.name}`,
      });
      const plan = this.api.addUsagePlan(`plan-${producer.name}`, {
        name: `seismo-${props.stageName}-${producer.name}`,
        throttle: { rateLimit: producer.rateLimit, burstLimit: producer.burstLimit },
        quota: { limit: producer.quotaPerDay, period: Period.DAY },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      plan.addApiKey(key);
      new CfnOutput(this, `api-key-${producer.name}`, {
        value: key.keyId,
        description: `API key id of producer ${producer.name}: aws apigateway get-api-key --include-value --api-key <id>`,
      });
      return key;
    });
    acknowledgeApiFindings(this.api);
  }

  /** The resource at `path`, created (with its parents) on first use. */
  private resourceAt(path: string): IResource {
    let resource: IResource = this.api.root;
    for (const part of path.split('/').filter(Boolean)) {
      resource = resource.getResource(part) ?? resource.addResource(part);
    }
    return resource;
  }

  /** PutRecords with the mapping templates; API Gateway assumes a role allowed that and nothing else. */
  private kinesisIntegration(stream: IStream, key: IKey): AwsIntegration {
    const role = new Role(this, 'kinesis-role', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Seismo ingestion API: PutRecords on the ingest stream',
    });
    role.addToPolicy(new PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [stream.streamArn] }));
    // Writing to a KMS-encrypted stream needs a data key of the stream's key.
    role.addToPolicy(new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }));
    return new AwsIntegration({
      service: 'kinesis',
      action: 'PutRecords',
      options: {
        credentialsRole: role,
        passthroughBehavior: PassthroughBehavior.NEVER,
        requestParameters: { 'integration.request.header.Content-Type': "'application/x-amz-json-1.1'" },
        requestTemplates: { 'application/json': putRecordsRequestTemplate(stream.streamName) },
        integrationResponses: [
          { statusCode: '200', responseTemplates: { 'application/json': PUT_RECORDS_RESPONSE_TEMPLATE } },
          {
            selectionPattern: '4\\d{2}',
            statusCode: '400',
            responseTemplates: { 'application/json': CLIENT_ERROR_RESPONSE_TEMPLATE },
          },
          {
            selectionPattern: '5\\d{2}',
            statusCode: '503',
            responseParameters: { 'method.response.header.Retry-After': "'1'" },
            responseTemplates: { 'application/json': SERVER_ERROR_RESPONSE_TEMPLATE },
          },
        ],
      },
    });
  }

  /** API Gateway's own refusals as JSON that names the rule (the validator's message, the key, the quota). */
  private gatewayResponses(): void {
    const json = (message: string) => ({ 'application/json': `{"message":${message}}` });
    this.api.addGatewayResponse('bad-body', {
      type: ResponseType.BAD_REQUEST_BODY,
      templates: json('"Invalid request body: $util.escapeJavaScript($context.error.validationErrorString)"'),
    });
    this.api.addGatewayResponse('bad-key', {
      type: ResponseType.INVALID_API_KEY,
      statusCode: '403',
      templates: json('"Forbidden: missing or invalid x-api-key"'),
    });
    this.api.addGatewayResponse('throttled', {
      type: ResponseType.THROTTLED,
      statusCode: '429',
      responseHeaders: { 'Retry-After': "'1'" },
      templates: json('"Too many requests: retry later"'),
    });
    this.api.addGatewayResponse('quota', {
      type: ResponseType.QUOTA_EXCEEDED,
      statusCode: '429',
      templates: json('"Daily quota of this API key used up"'),
    });
    this.api.addGatewayResponse('too-large', {
      type: ResponseType.REQUEST_TOO_LARGE,
      statusCode: '413',
      templates: json('"Request body too large"'),
    });
  }
}

/** CDK's JsonSchema spells `$schema`, `$ref` and `$id` without the dollar; everything else is the same. */
export function toCdkJsonSchema(schema: JsonSchema): CdkJsonSchema {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k.startsWith('$') ? k.slice(1) : k,
        k === 'properties' || k === 'patternProperties' ? mapValues(v, convert) : convert(v),
      ]),
    );
  };
  return convert(schema) as CdkJsonSchema;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fn(v)]));
}

/** A method without IAM authorization: why its caller is still known (or need not be). */
function acknowledgeMethod(method: Method, route: ApiRoute): void {
  const reason =
    route.auth === 'api-key'
      ? 'Callers are authorized by API key and usage plan (Prometheus and most agents cannot SigV4-sign for execute-api); every such route has a SigV4 twin under /iam/ for callers that can.'
      : route.auth === 'firehose-access-key'
        ? 'Firehose sends its access key in X-Amz-Firehose-Access-Key, which API Gateway cannot check; the translator compares it with the secret in constant time.'
        : 'The API description is public, like any OpenAPI document.';
  Validations.of(method).acknowledge(
    { id: 'AwsSolutions-APIG4', reason },
    { id: 'AwsSolutions-COG4', reason: `Producers are machines, not Cognito users. ${reason}` },
  );
}

function acknowledgeApiFindings(api: RestApi): void {
  Validations.of(api).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason:
      'No WAF web ACL yet: every producer is throttled and metered by its usage plan and the stage; a WAF can be associated with the stage later without changing the API.',
  });
  const role = api.node.tryFindChild('CloudWatchRole');
  if (role) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role: AWS's own managed policy is the documented way to let API Gateway write access and execution logs.",
    });
  }
}
