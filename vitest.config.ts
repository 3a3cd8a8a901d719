import { defineConfig } from "vitest/config";

export default defineConfig({
  // src/log-flags.d.ts: the code under test keeps its debug lines.
  define: { LOG_INFO: true, LOG_DEBUG: true },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end suites start brokers and interpreters: keep them in separate processes.
    pool: "forks",
  },
});
