import { describe, expect, it, vi } from 'vitest';
import { memberLogger } from '../src/kafka-client.ts';

describe("a Kafka member's logger", () => {
  it("calls onFatal for librdkafka's fatal error only, not for the library's seek error", () => {
    const onFatal = vi.fn();
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const logger = memberLogger(onFatal);
    logger.error('Seek error. This is effectively a fatal error: Error: Local: Erroneous state');
    expect(onFatal).not.toHaveBeenCalled();
    const fatal =
      'Consumer encountered error while consuming. Retrying. Error details: KafkaJSError: Local: Fatal error : Error: Local: Fatal error';
    logger.error(fatal);
    expect(onFatal).toHaveBeenCalledWith(fatal);
    stderr.mockRestore();
  });
});
