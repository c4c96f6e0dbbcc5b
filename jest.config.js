// Two projects: `unit` is fast and hermetic (mocks, pure functions, local processes);
// `integration` needs a real Docker engine (see test/env/).
const tsJest = ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json", diagnostics: false }];
module.exports = {
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/integration/"],
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform: { "^.+\\.ts$": tsJest },
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
    },
  ],
};
