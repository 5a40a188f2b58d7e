/** Reads an NDJSON export (file path or http(s) URL) into per-partition leaves and the other records. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

export interface ExportContents {
  readonly leaves: Map<number, { indices: number[]; leaves: string[] }>;
  readonly checkpoints: Map<number, string>;
  readonly keys: Array<Record<string, unknown>>;
  readonly results: Array<Record<string, unknown>>;
  readonly reconciliations: Array<Record<string, unknown>>;
  /** Hidden results only: the commitment published before the reveal, with its opening. */
  readonly commitments: Array<Record<string, unknown>>;
  readonly records: number;
}

export class ExportFormatError extends Error {
  override readonly name = 'ExportFormatError';
}

async function openLines(source: string): Promise<AsyncIterable<string>> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source);
    if (!response.ok || response.body === null) throw new ExportFormatError(`GET ${source} answered ${response.status}`);
    return createInterface({ input: Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]), crlfDelay: Infinity });
  }
  return createInterface({ input: createReadStream(source, { encoding: 'utf8' }), crlfDelay: Infinity });
}

const isPartition = (p: unknown): p is number => typeof p === 'number' && Number.isSafeInteger(p) && p >= 0;

export async function readExport(source: string): Promise<ExportContents> {
  const contents: ExportContents = {
    leaves: new Map(),
    checkpoints: new Map(),
    keys: [],
    results: [],
    reconciliations: [],
    commitments: [],
    records: 0,
  };
  let lineNo = 0;
  let records = 0;
  for await (const line of await openLines(source)) {
    lineNo += 1;
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new ExportFormatError(`line ${lineNo} is not JSON`);
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      throw new ExportFormatError(`line ${lineNo} is not a JSON object`);
    records += 1;
    switch (record.type) {
      case 'leaf': {
        const { partition, index, leaf } = record;
        if (!isPartition(partition) || typeof index !== 'number' || typeof leaf !== 'string') {
          throw new ExportFormatError(`line ${lineNo}: a leaf record has a partition, an index and the leaf text`);
        }
        let bucket = contents.leaves.get(partition);
        if (bucket === undefined) contents.leaves.set(partition, (bucket = { indices: [], leaves: [] }));
        bucket.indices.push(index);
        bucket.leaves.push(leaf);
        break;
      }
      case 'checkpoint': {
        const { partition, note } = record;
        if (!isPartition(partition) || typeof note !== 'string')
          throw new ExportFormatError(`line ${lineNo}: a checkpoint record has a partition and a note`);
        if (contents.checkpoints.has(partition))
          throw new ExportFormatError(`line ${lineNo}: a second checkpoint for partition ${partition}`);
        contents.checkpoints.set(partition, note);
        break;
      }
      case 'key':
        contents.keys.push(record);
        break;
      case 'result':
        contents.results.push(record);
        break;
      case 'reconciliation':
        contents.reconciliations.push(record);
        break;
      case 'commitment':
        contents.commitments.push(record);
        break;
      default:
        throw new ExportFormatError(`line ${lineNo}: unknown record type ${JSON.stringify(record.type)}`);
    }
  }
  return { ...contents, records };
}
