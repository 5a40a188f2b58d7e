/** Module resolve hook: @confluentinc/kafka-javascript cannot be loaded. */
export async function resolve(specifier, context, next) {
  if (specifier === '@confluentinc/kafka-javascript' || specifier.startsWith('@confluentinc/kafka-javascript/')) {
    throw new Error('no-kafka-addon: @confluentinc/kafka-javascript is not built on this machine');
  }
  return next(specifier, context);
}
