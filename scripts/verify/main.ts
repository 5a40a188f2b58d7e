/**
 * npm run verify -- <export file or URL> [--key <vkey>] [--threads <n>]
 * Prints OK (exit 0) or the first discrepancy with its leaf (exit 1); bad usage exits 2.
 */
import { parseArgs } from 'node:util';
import { ExportFormatError } from './export-reader.ts';
import { verifyExport } from './verify-export.ts';

const usage = 'usage: npm run verify -- <export file or URL> [--key <vkey>] [--threads <n>]';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: { key: { type: 'string' }; threads: { type: 'string' } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ options: { key: { type: 'string' }, threads: { type: 'string' } }, allowPositionals: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const [source, ...extra] = parsed.positionals;
  const threads = parsed.values.threads === undefined ? undefined : Number(parsed.values.threads);
  if (source === undefined || extra.length > 0 || (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))) {
    console.error(usage);
    return 2;
  }
  const started = performance.now();
  let outcome: Awaited<ReturnType<typeof verifyExport>>;
  try {
    outcome = await verifyExport(source, {
      ...(parsed.values.key === undefined ? {} : { key: parsed.values.key }),
      ...(threads === undefined ? {} : { threads }),
    });
  } catch (error) {
    if (error instanceof ExportFormatError) {
      console.log(`FAIL: ${error.message}`);
      return 1;
    }
    console.error(`urna verify: ${(error as Error).message}`);
    return 2;
  }
  if (outcome.keyNote !== undefined) console.log(outcome.keyNote);
  if (!outcome.ok) {
    const d = outcome.discrepancy;
    console.log(`FAIL: ${d.message}`);
    if ('leaf' in d && d.leaf !== undefined) console.log(`leaf ${d.partition}/${String(d.index)}:\n  ${d.leaf.split('\n').join('\n  ')}`);
    return 1;
  }
  const t = outcome.totals;
  console.log(
    `election ${outcome.electionId}: ${outcome.partitions} partitions, ${outcome.leaves} leaves, every final checkpoint signed and matching its leaves`,
  );
  console.log(
    `one-vote rule: ${t.accepted} votes in the log, ${t.counted} counted, ${t.duplicates} duplicates, ${t.afterClose} after the close`,
  );
  console.log(
    `result: ${Object.entries(t.counts)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([o, n]) => `${o} ${n}`)
      .join(', ')} (equal to the published official result)`,
  );
  if (outcome.committed)
    console.log('commitment: SHA-256(result ‖ reconciliation ‖ nonce) opens to the published result (committed before the reveal)');
  console.log(`OK (${Math.round(performance.now() - started)} ms)`);
  return 0;
}

process.exitCode = await main();
