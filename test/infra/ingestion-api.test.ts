import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, BINARY_MEDIA_TYPES, IAM_PREFIX } from '../../core/ingest/api-routes.ts';
import { eventsRequestJsonSchema } from '../../core/ingest/event-json-schema.ts';
import { openApiDocument } from '../../core/ingest/openapi.ts';
import { synthSeismo } from './support.ts';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Every method of the synthesized REST API as "VERB /path", rebuilt from its resources' path parts. */
function synthesizedRoutes(template: Template): string[] {
  const resources = template.toJSON().Resources as Resources;
  const pathOf = (ref: unknown): string => {
    if (typeof ref === 'object' && ref !== null && 'Fn::GetAtt' in ref) return '';
    const id = (ref as { Ref: string }).Ref;
    const resource = resources[id];
    if (resource?.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart as string}`;
  };
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod !== 'OPTIONS')
    .map((m) => `${m.Properties.HttpMethod as string} ${pathOf(m.Properties.ResourceId)}`)
    .sort();
}

describe('IngestionApi', () => {
  let template: Template;
  beforeAll(() => {
    ({ template } = synthSeismo({
      ingestion: { producers: [{ name: 'edge', rateLimit: 20, quotaPerDay: 1000 }, { name: 'batch' }] },
    }));
  });

  it('is a Regional REST API with binary media types for the protocol routes, access logs, tracing and throttling', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
      BinaryMediaTypes: [...BINARY_MEDIA_TYPES],
      ApiKeySourceType: 'HEADER',
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      TracingEnabled: true,
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 500,
          ThrottlingBurstLimit: 1000,
          LoggingLevel: 'ERROR',
          HttpMethod: '*',
          ResourcePath: '/*',
        }),
      ],
    });
  });

  it('gives every producer an API key and a usage plan with its throttle and daily quota', () => {
    // Assess
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 20, BurstLimit: 200 },
      Quota: { Limit: 1000, Period: 'DAY' },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
  });

  it('validates POST /v1/events with the model generated from the event schema, and writes it straight to Kinesis', () => {
    // Assess
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    const models = template.findResources('AWS::ApiGateway::Model');
    const schema = Object.values(models)[0]?.Properties.Schema;
    expect(schema).toEqual(eventsRequestJsonSchema());
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      ApiKeyRequired: true,
      AuthorizationType: 'NONE',
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
      Integration: Match.objectLike({
        Type: 'AWS',
        IntegrationHttpMethod: 'POST',
        PassthroughBehavior: 'NEVER',
        Uri: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':kinesis:action/PutRecords')])] },
        IntegrationResponses: Match.arrayWith([
          Match.objectLike({ StatusCode: '200' }),
          Match.objectLike({ SelectionPattern: '5\\d{2}', StatusCode: '503' }),
        ]),
      }),
    });
  });

  it('lets API Gateway only PutRecords on the stream (and use its key), nothing else', () => {
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'kinesis:PutRecords', Effect: 'Allow', Resource: Match.anyValue() },
          { Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: Match.anyValue() },
        ],
      },
    });
  });

  it('puts SigV4 (IAM) twins under /iam and needs an API key on the others, but Firehose and the API description', () => {
    // Assess
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    expect(methods.filter((m) => m.AuthorizationType === 'AWS_IAM')).toHaveLength(
      API_ROUTES.filter((r) => r.iam).length,
    );
    expect(methods.filter((m) => m.ApiKeyRequired === true)).toHaveLength(
      API_ROUTES.filter((r) => r.auth === 'api-key').length,
    );
  });

  it('has exactly the routes the OpenAPI document describes', () => {
    // Act
    const synthesized = synthesizedRoutes(template);
    const described = Object.entries(openApiDocument().paths as Record<string, object>)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();

    // Assess
    expect(synthesized).toEqual(described);
    expect(synthesized).toContain(`POST ${IAM_PREFIX}/v1/events`);
    expect(synthesized).toContain('POST /api/v1/write');
  });

  it('runs the translator with the stream, the series table and the Firehose secret bound', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Seismo translator'),
      Environment: {
        Variables: Match.objectLike({
          STREAM_NAME: Match.anyValue(),
          SERIES_TABLE: Match.anyValue(),
          FIREHOSE_ACCESS_KEY_SECRET_ARN: Match.anyValue(),
          SERIES_CAP: '10000',
        }),
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('validationErrorString') },
    });
  });
});
