import { type PermanentFailure, permanent } from '../../adapters/alerting/delivery.ts';
import type { SecretSource } from '../alerting/ports.ts';

/**
 * A receiver's secret read for a delivery: the values (one, or two during a rotation, whitespace-separated),
 * or a permanent failure naming the secret when it does not exist or is empty, which only an operator fixes.
 * Anything else (throttling, a network error) is thrown, so the message is retried.
 */
export async function secretValues(
  secrets: SecretSource,
  name: string,
  receiver: string,
): Promise<readonly string[] | PermanentFailure> {
  let text: string;
  try {
    text = await secrets.get(name);
  } catch (error) {
    if ((error as Error).name === 'EmptySecretError') {
      return permanent(
        'secret-empty',
        `secret ${name} of receiver ${receiver} is empty: put its value in Secrets Manager`,
        'receiver',
      );
    }
    if ((error as Error).name === 'ResourceNotFoundException') {
      return permanent(
        'secret-missing',
        `secret ${name} of receiver ${receiver} does not exist: create it in Secrets Manager`,
        'receiver',
      );
    }
    throw error;
  }
  const values = text.split(/\s+/).filter((v) => v !== '');
  if (values.length === 0)
    return permanent(
      'secret-empty',
      `secret ${name} of receiver ${receiver} is empty: put its value in Secrets Manager`,
      'receiver',
    );
  return values;
}
