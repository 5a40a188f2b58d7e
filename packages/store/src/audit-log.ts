import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { StoreErrors } from './errors.ts';
import { tableNames } from './client.ts';

export interface AuditAction {
  readonly at: string;
  /** The admin's user id, or `scheduler` for a scheduled open/close. */
  readonly actor: string;
  readonly action: string;
  readonly electionId?: string;
  readonly [detail: string]: unknown;
}

/**
 * Admin actions, kept in DynamoDB: one item per action in one item collection of the votes
 * table (pk `audit`, sk `<at>#<random>`), read newest first. Admin actions are rare (a handful
 * per election), so one partition key carries them comfortably.
 */
export class AuditLog {
  private readonly table: string;

  constructor(
    private readonly client: DynamoDBClient,
    table?: string,
  ) {
    this.table = table ?? tableNames().votes;
  }

  /**
   * Records an action. With `once`, the entry's time and key are given, so recording the same
   * action again (a retried job after a crash) rewrites one entry instead of adding another.
   */
  async record(
    actor: string,
    action: string,
    electionId: string | undefined,
    details: Record<string, unknown> = {},
    once?: { readonly at: string; readonly key: string },
  ): Promise<AuditAction> {
    const entry: AuditAction = {
      at: once?.at ?? new Date().toISOString(),
      actor,
      action,
      ...(electionId === undefined ? {} : { electionId }),
      ...details,
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: { S: 'audit' },
            sk: { S: `${entry.at}#${once?.key ?? randomBytes(4).toString('hex')}` },
            doc: { S: JSON.stringify(entry) },
          },
        }),
      );
    } catch (error) {
      throw StoreErrors.unavailable(error);
    }
    return entry;
  }

  async newest(limit = 100): Promise<AuditAction[]> {
    let page: { Items?: Array<Record<string, AttributeValue>> };
    try {
      page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'audit' } },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
    } catch (error) {
      throw StoreErrors.unavailable(error);
    }
    return (page.Items ?? []).map((item) => JSON.parse(item.doc?.S ?? '{}') as AuditAction);
  }
}
