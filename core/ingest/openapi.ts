import { API_ROUTES, type ApiRoute, IAM_PREFIX } from './api-routes.ts';
import { eventJsonSchema, eventsRequestJsonSchema, type JsonSchema } from './event-json-schema.ts';

/**
 * The OpenAPI 3.1 document of the ingestion API, generated from the route table and the event JSON Schema
 * (itself generated from the detector's zod schema). OpenAPI 3.1 schemas are JSON Schema, so the event schema
 * is embedded as it is given to API Gateway, less its `$schema`. Served at `GET /v1/openapi.json`.
 */

const RESULTS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['accepted', 'failed', 'results'],
  properties: {
    accepted: { type: 'integer' },
    failed: { type: 'integer' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'status'],
        properties: {
          index: { type: 'integer', description: 'Position of the event in the request.' },
          status: { type: 'string', enum: ['accepted', 'failed'] },
          reason: { type: 'string', description: "Kinesis' error code and message; retry the event." },
        },
      },
    },
  },
};

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function operation(route: ApiRoute, iam: boolean): JsonSchema {
  const security =
    route.auth === 'none'
      ? []
      : route.auth === 'firehose-access-key'
        ? [{ firehoseAccessKey: [] }]
        : iam
          ? [{ sigv4: [] }]
          : [{ apiKey: [] }];
  const body: JsonSchema | undefined =
    route.contentTypes.length === 0
      ? undefined
      : {
          required: true,
          content: Object.fromEntries(
            route.contentTypes.map((type): [string, JsonSchema] => [
              type,
              route.path.startsWith('/v1/events')
                ? { schema: { $ref: '#/components/schemas/EventsRequest' } }
                : { schema: { type: 'string', format: 'binary' } },
            ]),
          ),
        };
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, description]): [string, JsonSchema] => [
      status,
      route.operationId === 'putEvents' && (status === '200' || status === '207' || status === '503')
        ? {
            description,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/EventResults' } } },
          }
        : { description },
    ]),
  );
  return {
    operationId: iam ? `${route.operationId}Iam` : route.operationId,
    summary: route.summary,
    security,
    ...(route.path.startsWith('/v1/influx') || route.path === '/api/v2/write'
      ? { parameters: [{ name: 'precision', in: 'query', required: false, schema: { type: 'string' } }] }
      : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document; `serverUrl` is the API's base URL (the stage URL, or the local server's). */
export function openApiDocument(serverUrl = '/'): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES) {
    const variants = route.iam ? [false, true] : [false];
    for (const iam of variants) {
      const path = iam ? `${IAM_PREFIX}${route.path}` : route.path;
      paths[path] ??= {};
      (paths[path] as Record<string, JsonSchema>)[route.method.toLowerCase()] = operation(route, iam);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Seismo ingestion API',
      version: '1',
      description:
        "Events in Seismo's own JSON, and the protocols monitoring tools speak: Prometheus remote write, OTLP/HTTP metrics, InfluxDB line protocol, CloudWatch metric streams. Every route under /iam/ is the same route authorized with SigV4 instead of an API key.",
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'AWS Signature Version 4 for the execute-api service',
        },
        firehoseAccessKey: { type: 'apiKey', in: 'header', name: 'X-Amz-Firehose-Access-Key' },
      },
      schemas: {
        Event: withoutDialect(eventJsonSchema()),
        EventsRequest: {
          ...withoutDialect(eventsRequestJsonSchema()),
          properties: {
            events: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: { $ref: '#/components/schemas/Event' },
            },
          },
        },
        EventResults: RESULTS_SCHEMA,
      },
    },
  };
}
