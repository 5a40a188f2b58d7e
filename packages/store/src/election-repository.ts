import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DomainErrors, isUrnaError, NEXT_STATUS, type Election, type ElectionStatus } from '@urna/domain';
import { StoreErrors } from './errors.ts';
import { tableNames } from './client.ts';

/** Elections live in DynamoDB: rare writes, read through a cache by ingest. */
export class ElectionRepository {
  private readonly table: string;

  constructor(
    private readonly client: DynamoDBClient,
    table?: string,
  ) {
    this.table = table ?? tableNames().elections;
  }

  async create(election: Election): Promise<Election> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem(election),
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return election;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw DomainErrors.electionExists(election.id);
      throw StoreErrors.unavailable(error);
    }
  }

  async get(id: string): Promise<Election | undefined> {
    try {
      const result = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { id: { S: id } }, ConsistentRead: true }));
      return result.Item === undefined ? undefined : fromItem(result.Item);
    } catch (error) {
      throw StoreErrors.unavailable(error);
    }
  }

  async list(): Promise<Election[]> {
    const out: Election[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      } catch (error) {
        throw StoreErrors.unavailable(error);
      }
      for (const item of page.Items ?? []) out.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * Marks the start of a close (kept if already set, so a retried close keeps the first time).
   * Only an open election can begin closing; a closed one is returned as it is.
   */
  async beginClose(id: string, at: Date = new Date()): Promise<Election> {
    return this.update(
      id,
      'SET closingAt = if_not_exists(closingAt, :at)',
      'attribute_exists(id) AND #status = :open',
      { ':at': { S: at.toISOString() }, ':open': { S: 'open' } },
      'closed',
    );
  }

  /**
   * Changes opensAt/closesAt (null removes) while the election is draft or open, in one
   * conditional write that also checks the times against the stored ones: opensAt only on a
   * draft (an open election's open is history), and a draft's closesAt after its opensAt. Times
   * are UTC ISO strings of one format, so they compare as strings. A refusal changes nothing:
   * 404, 409 INVALID_TRANSITION (closed, closing, or opensAt of a non-draft), 400 INVALID_BODY
   * (closesAt not after opensAt). Both times given at once are checked by the caller.
   */
  async schedule(id: string, change: { opensAt?: string | null; closesAt?: string | null }): Promise<Election> {
    try {
      return await this.scheduleIf(id, change);
    } catch (error) {
      if (!isUrnaError(error) || error.code !== 'INVALID_TRANSITION') throw error;
      const current = await this.get(id);
      if (current === undefined) throw DomainErrors.electionNotFound(id);
      if (current.status !== 'closed' && current.closingAt === undefined) {
        if (change.opensAt !== undefined && current.status !== 'draft')
          throw DomainErrors.scheduleRefused(id, `it is ${current.status}: opensAt can change only while it is a draft`);
        if (typeof change.closesAt === 'string' || typeof change.opensAt === 'string')
          throw DomainErrors.invalidBody('closesAt: closesAt must be after opensAt');
      }
      throw error;
    }
  }

  private async scheduleIf(id: string, change: { opensAt?: string | null; closesAt?: string | null }): Promise<Election> {
    const set: string[] = [];
    const remove: string[] = [];
    const values: Record<string, AttributeValue> = { ':draft': { S: 'draft' }, ':open': { S: 'open' } };
    for (const key of ['opensAt', 'closesAt'] as const) {
      const value = change[key];
      if (value === null) remove.push(key);
      else if (value !== undefined) {
        set.push(`${key} = :${key}`);
        values[`:${key}`] = { S: value };
      }
    }
    const expression = [set.length > 0 ? `SET ${set.join(', ')}` : '', remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '']
      .join(' ')
      .trim();
    const conditions = ['attribute_exists(id) AND (#status = :draft OR #status = :open) AND attribute_not_exists(closingAt)'];
    if (change.opensAt !== undefined) conditions.push('#status = :draft');
    if (typeof change.opensAt === 'string' && change.closesAt === undefined)
      conditions.push('(attribute_not_exists(closesAt) OR closesAt > :opensAt)');
    if (typeof change.closesAt === 'string' && change.opensAt === undefined)
      conditions.push('(#status = :open OR attribute_not_exists(opensAt) OR opensAt < :closesAt)');
    return this.update(id, expression, conditions.join(' AND '), values, 'open');
  }

  /**
   * Stores the official result document (the recount's output, written once per identical bytes)
   * and, with it, what a reprocess needs to publish it again after the Redis read model was lost:
   * the reconciliation and the live counts the recount compared it with.
   */
  async setOfficialResult(id: string, document: string, published?: { reconciliation: string; liveAtClose: string }): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { id: { S: id } },
          UpdateExpression:
            published === undefined ? 'SET officialResult = :doc' : 'SET officialResult = :doc, reconciliation = :rec, liveAtClose = :live',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: {
            ':doc': { S: document },
            ...(published === undefined ? {} : { ':rec': { S: published.reconciliation }, ':live': { S: published.liveAtClose } }),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw DomainErrors.electionNotFound(id);
      throw StoreErrors.unavailable(error);
    }
  }

  /** The official result with its reconciliation and the live counts at the close, once the recount stored them. */
  async publishedDocuments(id: string): Promise<{ official: string; reconciliation: string; liveAtClose: string } | undefined> {
    try {
      const result = await this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { id: { S: id } },
          ConsistentRead: true,
          ProjectionExpression: 'officialResult, reconciliation, liveAtClose',
        }),
      );
      const item = result.Item;
      const [official, reconciliation, liveAtClose] = [item?.officialResult?.S, item?.reconciliation?.S, item?.liveAtClose?.S];
      return official === undefined || reconciliation === undefined || liveAtClose === undefined
        ? undefined
        : { official, reconciliation, liveAtClose };
    } catch (error) {
      throw StoreErrors.unavailable(error);
    }
  }

  async officialResult(id: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(
        new GetItemCommand({ TableName: this.table, Key: { id: { S: id } }, ConsistentRead: true, ProjectionExpression: 'officialResult' }),
      );
      return result.Item?.officialResult?.S;
    } catch (error) {
      throw StoreErrors.unavailable(error);
    }
  }

  private async update(
    id: string,
    expression: string,
    condition: string,
    values: Record<string, AttributeValue>,
    refusedTo: ElectionStatus,
  ): Promise<Election> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { id: { S: id } },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (result.Attributes === undefined) throw StoreErrors.corruptItem(id);
      return fromItem(result.Attributes);
    } catch (error) {
      if (isUrnaError(error)) throw error;
      if (!(error instanceof ConditionalCheckFailedException)) throw StoreErrors.unavailable(error);
      const current = await this.get(id);
      if (current === undefined) throw DomainErrors.electionNotFound(id);
      if (refusedTo === 'closed' && current.status === 'closed') return current;
      throw DomainErrors.invalidTransition(id, current.status, refusedTo);
    }
  }

  /** draft → open → closed, enforced by a conditional write (safe against concurrent admins). */
  async transition(id: string, action: 'open' | 'close', at: Date = new Date()): Promise<Election> {
    const { from, to } = NEXT_STATUS[action];
    const stamp = action === 'open' ? 'openedAt' : 'closedAt';
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { id: { S: id } },
          UpdateExpression: `SET #status = :to, ${stamp} = :at`,
          ConditionExpression: 'attribute_exists(id) AND #status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': { S: to }, ':from': { S: from }, ':at': { S: at.toISOString() } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (result.Attributes === undefined) throw StoreErrors.corruptItem(id);
      return fromItem(result.Attributes);
    } catch (error) {
      if (isUrnaError(error)) throw error;
      if (!(error instanceof ConditionalCheckFailedException)) throw StoreErrors.unavailable(error);
      const current = await this.get(id);
      if (current === undefined) throw DomainErrors.electionNotFound(id);
      throw DomainErrors.invalidTransition(id, current.status, to);
    }
  }
}

const OPTIONAL = ['openedAt', 'closedAt', 'opensAt', 'closesAt', 'resultsVisibility', 'closingAt'] as const;

function toItem(e: Election): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    id: { S: e.id },
    title: { S: e.title },
    options: { S: JSON.stringify(e.options) },
    status: { S: e.status },
    createdAt: { S: e.createdAt },
  };
  for (const key of OPTIONAL) {
    const value = e[key];
    if (value !== undefined) item[key] = { S: value };
  }
  if (e.challenge !== undefined) item.challenge = { S: e.challenge };
  if (e.challengeCost !== undefined) item.challengeCost = { N: String(e.challengeCost) };
  if (e.maxVotesPerSecond !== undefined) item.maxVotesPerSecond = { N: String(e.maxVotesPerSecond) };
  return item;
}

function fromItem(item: Record<string, AttributeValue>): Election {
  const id = item.id?.S;
  const title = item.title?.S;
  const status = item.status?.S;
  const createdAt = item.createdAt?.S;
  if (
    id === undefined ||
    title === undefined ||
    createdAt === undefined ||
    (status !== 'draft' && status !== 'open' && status !== 'closed')
  ) {
    throw StoreErrors.corruptItem(String(id));
  }
  const options = JSON.parse(item.options?.S ?? '[]') as Array<{ id: string; label: string }>;
  const optional: Record<string, string> = {};
  for (const key of OPTIONAL) {
    const value = item[key]?.S;
    if (value !== undefined) optional[key] = value;
  }
  return {
    id,
    title,
    options,
    status: status satisfies ElectionStatus,
    createdAt,
    ...(optional as Partial<Election>),
    ...(item.challenge?.S === 'pow' || item.challenge?.S === 'off' ? { challenge: item.challenge.S } : {}),
    ...(item.challengeCost?.N === undefined ? {} : { challengeCost: Number(item.challengeCost.N) }),
    ...(item.maxVotesPerSecond?.N === undefined ? {} : { maxVotesPerSecond: Number(item.maxVotesPerSecond.N) }),
  };
}
