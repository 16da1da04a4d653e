import type { Config } from 'jest';

// One Jest run over the whole monorepo. Tests sit beside the code (`*.test.ts` for unit
// tests with fakes, `*.int.test.ts` for integration tests against the real PostgreSQL
// and Redis). Each integration test file makes its own database from a migrated template
// (see test/global-setup.ts) and its own Redis key prefix, so files never see each other.
const swc: [string, Record<string, unknown>] = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const config: Config = {
  rootDir: '.',
  testEnvironment: 'node',
  roots: ['<rootDir>/apps', '<rootDir>/packages', '<rootDir>/test', '<rootDir>/chaos'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // jose ships ESM only; Node runs it under require() (20.19+), Jest's own loader does not
  // (before Node 24.9): swc compiles it to CommonJS like our sources.
  transform: { '^.+\\.ts$': swc, '/node_modules/\\.pnpm/jose@[^/]+/node_modules/jose/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/jose@|jose/)'],
  moduleNameMapper: {
    '^@taskdash/contract$': '<rootDir>/packages/contract/src/index.ts',
    '^@taskdash/client$': '<rootDir>/packages/client/src/index.ts',
    '^@taskdash/testkit$': '<rootDir>/packages/testkit/src/index.ts',
    '^@taskdash/backend$': '<rootDir>/apps/backend/src/index.ts',
    '^@taskdash/backend/testing$': '<rootDir>/apps/backend/src/testing.ts',
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFiles: ['<rootDir>/test/jest.setup.ts'],
  testTimeout: 60_000,
};

export default config;
