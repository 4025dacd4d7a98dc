// `import path from "…" with { type: "file" }` yields the file's path (embedded when compiled).
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.data" {
  const path: string;
  export default path;
}
