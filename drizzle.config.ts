import { defineConfig } from "drizzle-kit";

// Generation only (`bun run db:generate`): migrations are applied by the gateway at startup.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema.ts",
  out: "./drizzle",
});
