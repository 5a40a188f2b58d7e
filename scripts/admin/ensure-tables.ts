// One-shot admin step: creates urna's DynamoDB tables if missing (idempotent). The embedded
// launcher does this itself; deployments run it as a job (docker-compose.redpanda.yml: create-tables).
import { z } from 'zod';
import { loadConfig, sharedConfigShape } from '@urna/service-kit';
import { createDynamoClient, ensureTables, tableNames } from '@urna/store';

const config = loadConfig(
  z.object({
    URNA_DYNAMODB_ENDPOINT: sharedConfigShape.URNA_DYNAMODB_ENDPOINT,
    URNA_AWS_REGION: sharedConfigShape.URNA_AWS_REGION,
    URNA_TABLE_PREFIX: sharedConfigShape.URNA_TABLE_PREFIX,
  }),
);
const client = createDynamoClient({ endpoint: config.URNA_DYNAMODB_ENDPOINT, region: config.URNA_AWS_REGION });
const names = tableNames(config.URNA_TABLE_PREFIX);
await ensureTables(client, names);
client.destroy();
console.log(`urna: tables ready: ${Object.values(names).join(', ')}`);
