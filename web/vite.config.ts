import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

// Absolute root so `vite build --config web/vite.config.ts` works from the repository root too.
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  // The control listener serves the embedded bundle under /admin-ui/ (contract 10).
  base: "/admin-ui/",
  plugins: [solid()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
});
