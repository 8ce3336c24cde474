import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { IngestRequest, IngestResponse } from './ingest-http.ts';

/**
 * API Gateway (REST, Lambda proxy) events to the translator's requests and back. The tenant is the API key's id
 * on key routes (API Gateway checked the key) and the SigV4 caller's ARN on `/iam/` routes; binary bodies
 * (protobuf) arrive base64-encoded, as the API's binary media types ask.
 */

/** The request inside a proxy event. */
export function requestOf(event: APIGatewayProxyEvent): IngestRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query.set(name, value);
  }
  const body =
    event.body === null
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  const identity = event.requestContext?.identity;
  const tenant = identity?.apiKeyId ?? identity?.userArn ?? undefined;
  // `resource` is the route template; `path` may carry the stage or a custom domain's base path.
  return {
    method: event.httpMethod,
    path: event.resource,
    query,
    headers,
    body,
    ...(tenant ? { tenant } : {}),
  };
}

/** The proxy result of a response; bytes go back base64-encoded. */
export function resultOf(response: IngestResponse): APIGatewayProxyResult {
  const binary = typeof response.body !== 'string';
  return {
    statusCode: response.status,
    headers: { ...response.headers },
    body: binary ? Buffer.from(response.body).toString('base64') : (response.body as string),
    isBase64Encoded: binary,
  };
}
