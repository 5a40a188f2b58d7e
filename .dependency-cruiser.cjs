// Boundaries of urna's architecture (README, "How a vote flows"), checked by `npm run boundaries`
// in `npm test`. Written for the layout, not for today's file list:
// - a service is any top-level directory that is not one of NOT_SERVICES (ingest, tally-worker,
//   results-sse, gateway, recount, and every service added later);
// - a package is packages/<name>.
const NOT_SERVICES = ['packages', 'scripts', 'test', 'web', 'docs', 'node_modules'];
/** One top-level service directory (no capture group, so rules can add their own). */
const SERVICE = `(?!(?:${NOT_SERVICES.join('|')})/)[^/.][^/]*`;
/** Clients of infrastructure the domain must never depend on. */
const INFRASTRUCTURE = '(ioredis|@aws-sdk|@smithy|@confluentinc|kafkajs|bullmq|fastify|@fastify|undici|pg|prom-client|jose)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment:
        'packages/domain holds the rules of elections and votes: it imports no other workspace and no infrastructure client (zod only).',
      severity: 'error',
      from: { path: '^packages/domain/' },
      to: { pathNot: ['^packages/domain/', '^node_modules/zod/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'domain-no-infrastructure',
      comment: 'packages/domain imports no infrastructure client (Redis, DynamoDB, Kafka, HTTP, queues).',
      severity: 'error',
      from: { path: '^packages/domain/' },
      to: { path: `^node_modules/${INFRASTRUCTURE}/` },
    },
    {
      name: 'no-service-to-service',
      comment:
        'Services are deployables and never import each other: share code through packages/*, talk through the log, HTTP or the read models.',
      severity: 'error',
      from: { path: `^(${SERVICE})/` },
      to: { path: `^${SERVICE}/`, pathNot: '^$1/', couldNotResolve: false, dependencyTypesNot: ['core'] },
    },
    {
      name: 'no-package-to-service',
      comment:
        'Packages are shared by services and never import one (a package that needs a service’s code means the code belongs in a package).',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { path: `^${SERVICE}/`, couldNotResolve: false, dependencyTypesNot: ['core'] },
    },
    {
      name: 'read-path-reads-read-models-only',
      comment:
        'results-sse is the query side: it reads only the Redis read model, never the vote log or the vote store, not even through another package.',
      severity: 'error',
      from: { path: '^results-sse/src/' },
      to: { path: '^packages/(log|store)/', reachable: true },
    },
    {
      name: 'service-only-through-its-entry',
      comment:
        'Scripts, root tests and packages’ tests use a service only through its package entry (@urna/<service>, src/index.ts), never its internals by path.',
      severity: 'error',
      from: { path: '^(scripts|test|packages)/' },
      to: { path: `^${SERVICE}/`, pathNot: `^${SERVICE}/src/index\\.ts$`, couldNotResolve: false, dependencyTypesNot: ['core'] },
    },
    {
      name: 'web-pages-stand-alone',
      comment:
        'The web pages run in the browser: besides their own files they import only the dependency-free error codes, timing and id-keyed maps of the domain.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { pathNot: ['^web/', '^packages/domain/src/(error-codes|timing|id-keyed)\\.ts$'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only ones included: split the shared part into its own module.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing (a typo, a package missing from package.json).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^k6(/|$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.urna|coverage)/' },
    // type-only imports count: a type-only cycle is still a cycle
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
