/** Classification of AWS SDK v3 errors shared by the AWS adapters, by name so any SDK copy is recognised. */

/** True for DynamoDB's ConditionalCheckFailedException. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** True for throttling (any `*Throttl*` name), internal errors and any 5xx: worth another attempt. */
export function isRetryableAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return /throttl|^Internal(Server|Error)/i.test(error.name) || (status ?? 0) >= 500;
}
