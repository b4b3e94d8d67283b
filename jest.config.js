/**
 * Nest 12 ships as ES modules only, so the suite runs in Jest's native ESM mode
 * (`--experimental-vm-modules`, set by `npm test`). Unit specs live beside the source; e2e specs in test/.
 */
export default {
  moduleFileExtensions: ['js', 'json', 'ts'],
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  // Sources import siblings as `./x.js` (what Node needs at run time); Jest resolves them to the .ts file.
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // See test/support/cjs-package-as-esm.js: the same package, rewritten as ES modules for Jest's loader.
    '^@willsoto/nestjs-prometheus$':
      '<rootDir>/node_modules/.cache/nestjs-instrumentator/nestjs-prometheus-esm/index.mjs',
  },
  globalSetup: '<rootDir>/test/support/jest-global-setup.js',
  // See test/support/esm-package-as-cjs.js: an ES-module-only dependency of Mercurius, for Jest's loader.
  resolver: '<rootDir>/test/support/esm-package-as-cjs.js',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', useESM: true }] },
  testEnvironment: 'node',
  testTimeout: 30000,
};
