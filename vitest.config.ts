import { defineConfig } from 'vitest/config'

// Imports of the package by its name ("gatehouse-auth/hono" in examples/) load src/, as
// relative imports do: one copy of each module, and no stale dist/ (package.json `exports`).
const conditions = ['gatehouse-source']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites that share PostgreSQL/Redis use their own schemas and key prefixes, so files may run in parallel.
    pool: 'forks',
    // The CLI tests spawn bin/gatehouse.js, which runs dist/: rebuilt first when src/ is newer.
    globalSetup: ['test/helpers/build-dist.ts'],
  },
})
