import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';

export interface DynamoConfig {
  /** Endpoint override (DynamoDB Local); omit for AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /**
   * Requests per operation, the first included: the SDK's standard retry strategy retries
   * throttling, transient and network errors with its own jittered back-off. urna adds no
   * retries of its own: a failed write fails the batch, which the log redelivers.
   * @defaultValue 4
   */
  readonly maxAttempts?: number;
}

export interface TableNames {
  readonly votes: string;
  readonly elections: string;
}

export const tableNames = (prefix = 'urna_'): TableNames => ({ votes: `${prefix}votes`, elections: `${prefix}elections` });

export function createDynamoClient(config: DynamoConfig): DynamoDBClient {
  // The SDK warns on every process start that releases after January 2027 need Node 22; the
  // machines here run Node 20 and the pinned SDK major supports it. Opt out unless set.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new DynamoDBClient({
    region: config.region ?? 'local',
    ...(config.endpoint === undefined
      ? {}
      : { endpoint: config.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    retryMode: 'standard',
    maxAttempts: config.maxAttempts ?? 4,
  });
}

/**
 * Creates the tables if missing (idempotent). In production tables belong to infrastructure
 * code; this is for the embedded default and tests.
 * votes: vote pages, pk = `<electionId>#p<partition>`, sk = `<first>#<last position>#<digest>`
 * (vote-page.ts); format-1 items, pk = `<electionId>#<shard>`, sk = `<userId>#<log position>`.
 * elections: pk = `id`.
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames = tableNames()): Promise<void> {
  const specs = [
    { TableName: names.votes, keys: ['pk', 'sk'] as const },
    { TableName: names.elections, keys: ['id'] as const },
  ];
  for (const spec of specs) {
    try {
      await client.send(new DescribeTableCommand({ TableName: spec.TableName }));
      continue;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await client.send(
        new CreateTableCommand({
          TableName: spec.TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: spec.keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          KeySchema: spec.keys.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
        }),
      );
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ResourceInUseException') throw error;
    }
  }
}
