import { LiveTally } from '@urna/tally';
import { verifierFromConfig } from '@urna/auth';
import { createRegistry, httpTimeoutsOf, onShutdown, readModelRedis, exitOnConfigError } from '@urna/service-kit';
import { buildResultsApp } from './app.ts';
import { readResultsConfig } from './config.ts';
import { ResultsHub } from './results-hub.ts';
import { sseUpdateMetrics } from './metrics.ts';
import { RedisElectionLogs } from '@urna/transparency/redis';

exitOnConfigError();

const config = readResultsConfig();
const redis = await readModelRedis(config, 'fail-fast');
const subscriber = await readModelRedis(config, 'patient');
const tally = new LiveTally({ redis, buckets: config.URNA_TALLY_BUCKETS, subShards: config.URNA_TALLY_SUBSHARDS });
const registry = createRegistry('results-sse');
const hub = new ResultsHub(tally, subscriber, {
  onBroadcast: sseUpdateMetrics(registry),
  minIntervalMs: config.URNA_SSE_MIN_INTERVAL_MS,
  heartbeatMs: config.URNA_SSE_HEARTBEAT_MS,
});
const app = buildResultsApp({
  httpTimeouts: httpTimeoutsOf(config),
  tally,
  hub,
  verifier: verifierFromConfig(config),
  registry,
  logger: { level: config.URNA_LOG_LEVEL },
  maxStreams: config.URNA_SSE_MAX_STREAMS,
  transparency: {
    logs: new RedisElectionLogs(redis),
    partitions: config.URNA_LOG_PARTITIONS,
    vkey: config.URNA_TRANSPARENCY_VKEY,
    exists: async (id) => (await tally.results(id, { raw: true })) !== undefined,
    official: async (id) => {
      const [result, reconciliation] = await Promise.all([redis.get(tally.keys.official(id)), tally.reconciliation(id)]);
      return result === null || reconciliation === undefined ? undefined : { result, reconciliation };
    },
    commitment: (id) => tally.commitmentOf(id),
  },
});
await app.listen({ host: config.URNA_HOST, port: config.URNA_RESULTS_PORT });
onShutdown(
  async () => {
    await app.close(); // its preClose hook ends the SSE streams
    redis.disconnect();
    subscriber.disconnect();
  },
  (m) => app.log.info(m),
);
