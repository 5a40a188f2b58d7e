import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Apache Kafka release the pom fetches; keep in step with kafka.version in kafka/pom.xml. */
export const KAFKA_VERSION = '4.1.1';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The pom that lists the broker's jars (Maven Central). */
export const KAFKA_POM = join(REPO_ROOT, 'packages', 'embedded', 'kafka', 'pom.xml');

/**
 * Where the broker's jars are cached: `<repo>/.urna/kafka-dist/<version>` (gitignored), filled
 * once by scripts/bootstrap.mjs through the pom (Maven's own cache, ~/.m2, makes a second copy
 * take seconds). `URNA_KAFKA_DIST` points elsewhere.
 */
export function kafkaDistDir(): string {
  return process.env.URNA_KAFKA_DIST ?? join(REPO_ROOT, '.urna', 'kafka-dist', KAFKA_VERSION);
}

/** The classpath of the broker, or a clear error when the jars have not been fetched. */
export function kafkaClasspath(distDir = kafkaDistDir()): string {
  const jar = `kafka_2.13-${KAFKA_VERSION}.jar`;
  if (!existsSync(distDir) || !readdirSync(distDir).includes(jar)) {
    throw new Error(
      `Apache Kafka ${KAFKA_VERSION} is not in ${distDir}: run \`npm test\` or \`npm start\` once (they fetch it), or ` +
        `mvn -q -B -f ${KAFKA_POM} dependency:copy-dependencies -DoutputDirectory=${distDir}`,
    );
  }
  return `${distDir}/*`;
}
