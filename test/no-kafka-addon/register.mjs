// `node --import ./test/no-kafka-addon/register.mjs …`: the process behaves as on a machine where
// the Kafka client's native addon was never built: importing @confluentinc/kafka-javascript throws.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
